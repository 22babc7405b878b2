import { timingSafeEqual } from "node:crypto";

/** Whether the request carries the metrics token (compared in constant time). */
export function hasMetricsToken(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, "") ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
