import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, the scheme Stripe made familiar:
 * the timestamp inside the MAC stops replays outside the tolerance window.
 */
export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  header: string | undefined,
  secret: string,
  body: string,
  now: Date,
  toleranceSeconds: number,
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing X-Signature header" };
  const parts = new Map<string, string[]>();
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key && value) parts.set(key, [...(parts.get(key) ?? []), value]);
  }
  const t = Number(parts.get("t")?.[0]);
  const candidates = parts.get("v1") ?? [];
  if (!Number.isInteger(t) || candidates.length === 0)
    return { ok: false, reason: "malformed X-Signature header" };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) {
    return { ok: false, reason: "signature timestamp outside the allowed window" };
  }
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  // Several v1 values are allowed so a source can sign with an old and a new secret during rotation.
  const match = candidates.some((c) => {
    const actual = Buffer.from(c);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
  return match ? { ok: true } : { ok: false, reason: "signature does not match" };
}
