import type { Context } from "hono";

/**
 * The address a request came from, for the login throttle. It comes from the connection, never from a
 * header the client writes: locally the socket's peer (@hono/node-server puts it in `env.incoming`), behind
 * API Gateway the source address the gateway saw (`env.requestContext`). X-Forwarded-For is believed only
 * from a proxy listed in TRUSTED_PROXIES, read from the right, skipping the trusted hops, so a client cannot
 * claim a fresh address with each guess by adding the header itself.
 *
 * IPv6 addresses count per /64: one subscriber usually holds a whole /64 and could otherwise use a new
 * address for every attempt. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
 */
export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  let address = connectionAddress(c);
  if (address && trustedProxies.length > 0 && trustedProxies.includes(canonical(address))) {
    const hops = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    while (hops.length > 0) {
      const hop = hops.pop() as string;
      address = hop;
      if (!trustedProxies.includes(canonical(hop))) break;
    }
  }
  return address ? throttleKey(address) : "unknown";
}

function connectionAddress(c: Context): string | undefined {
  const env = (c.env ?? {}) as {
    incoming?: { socket?: { remoteAddress?: string } };
    server?: { incoming?: { socket?: { remoteAddress?: string } } };
    requestContext?: { identity?: { sourceIp?: string }; http?: { sourceIp?: string } };
  };
  return (
    env.incoming?.socket?.remoteAddress ??
    env.server?.incoming?.socket?.remoteAddress ??
    env.requestContext?.identity?.sourceIp ??
    env.requestContext?.http?.sourceIp
  );
}

function canonical(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** The address as the throttle counts it: IPv4 whole, IPv6 by its /64 prefix. */
export function throttleKey(address: string): string {
  const plain = canonical(address);
  if (!plain.includes(":")) return plain;
  const groups = expandIpv6(plain.split("%")[0] as string);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : plain;
}

function expandIpv6(address: string): string[] | undefined {
  const [head, tail, ...rest] = address.split("::");
  if (rest.length > 0) return undefined;
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array(tail === undefined ? 0 : missing).fill("0"), ...right];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.replace(/^0+(?=.)/, ""));
}
