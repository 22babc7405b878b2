import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped IPv6 address) or the name localhost. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, "");
  return plain === "localhost" || plain === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}

/**
 * The peer's address when Node's HTTP server (@hono/node-server) serves the request; undefined anywhere
 * else (Lambda, `app.request` in tests), which callers must treat as "not known to be this machine".
 * Forwarding headers are not read: they say whatever the caller wants.
 */
export function peerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: IncomingMessage; server?: { incoming?: IncomingMessage } } | undefined;
  return (env?.incoming ?? env?.server?.incoming)?.socket?.remoteAddress;
}
