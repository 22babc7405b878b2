import { sql } from "drizzle-orm";
import type { Tx } from "../db/client";
import { arrayLiteral } from "../db/id-array";

/**
 * The per-recipient lock behind the frequency caps: a transaction-scoped advisory lock keyed by the recipient's
 * keyed hash. The hash is already uniformly random, so its first 8 bytes are the lock key; two recipients
 * sharing a key only wait for each other, they are never counted together.
 */
export function recipientLockKey(recipientHash: string): bigint {
  return Buffer.from(recipientHash, "base64url").readBigInt64BE(0);
}

/**
 * Takes every key once, in ascending order, in one statement: two batches that share recipients take them in
 * the same order and cannot deadlock. unnest() yields the array in order and the locks are taken row by row.
 */
export async function lockRecipients(tx: Tx, keys: bigint[]): Promise<void> {
  const sorted = [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(k) from unnest(${arrayLiteral(sorted)}::bigint[]) as k`);
}
