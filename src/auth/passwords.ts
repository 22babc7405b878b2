import { randomBytes, type ScryptOptions, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";

/**
 * scrypt from node:crypto: a memory-hard KDF that needs no native add-on or install script.
 * Parameters are stored with the hash so they can be raised later without invalidating old hashes.
 *
 * The cost (log2 of scrypt's N) comes from PASSWORD_HASH_COST; production uses PRODUCTION_HASH_COST, and
 * config.ts refuses anything lower outside NODE_ENV=test. Tests hash with a cost of a few microseconds:
 * what they check is which password is accepted, not how long an attacker would need.
 */
export const PRODUCTION_HASH_COST = 15;
const R = 8;
const P = 1;
const MAXMEM = 64 * 1024 * 1024;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, cost: number = PRODUCTION_HASH_COST): Promise<string> {
  const N = 2 ** cost;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await scrypt(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * A hash to verify against when the user does not exist, so timing does not reveal valid usernames. It has
 * the cost real hashes get, and is made once per cost, at the first login rather than at import: importing
 * this module costs nothing, and a deployment makes it once.
 */
export function dummyHash(cost: number = PRODUCTION_HASH_COST): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(12).toString("base64url"), cost);
    dummyHashes.set(cost, hash);
    hash.catch(() => dummyHashes.delete(cost));
  }
  return hash;
}
