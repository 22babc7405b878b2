import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Synchroniser token derived from the session token: an attacker's page can make the browser send the
 * cookie, but cannot read the page to learn this value. Nothing to store, and it dies with the session.
 */
export function csrfToken(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("console-csrf").digest("base64url");
}

export function validCsrf(sessionToken: string, submitted: unknown): boolean {
  if (typeof submitted !== "string") return false;
  const expected = Buffer.from(csrfToken(sessionToken));
  const actual = Buffer.from(submitted);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
