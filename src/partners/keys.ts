import { createHash, randomBytes } from "node:crypto";

/**
 * Partner API keys are 256 random bits. They are stored as a SHA-256 digest, not with a slow password hash:
 * a slow hash protects low-entropy secrets against guessing, but nobody can enumerate 2^256 keys, and a fast
 * digest lets each request find its key with one primary-key lookup instead of a scrypt per request.
 */
export const API_KEY_PREFIX = "pk_";

/** A test key says so in its text (pk_test_…), as Stripe's do: nobody mistakes it for the live one in a config. */
export function newApiKey(mode: "live" | "test" = "live"): string {
  return `${API_KEY_PREFIX}${mode === "test" ? "test_" : ""}${randomBytes(32).toString("base64url")}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("base64url");
}

/**
 * What admins see and name a key by: the first characters of its digest. It identifies the key among a
 * partner's keys without being usable to authenticate, and it cannot be turned back into the key.
 */
export const KEY_ID_LENGTH = 16;
export const keyIdOf = (keyHash: string) => keyHash.slice(0, KEY_ID_LENGTH);
