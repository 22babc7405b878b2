import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { idempotencyKeys } from "../schema";
import type { Tx } from "./db/client";
import { AppError } from "./errors";

/** What a client sends in `Idempotency-Key`, and a digest of the body it came with. */
export interface IdempotencyRequest {
  /** Whose keys these are (a partner id, an officer id): one caller's key never answers for another's. */
  scope: string;
  key: string;
  requestHash: string;
}

export interface StoredResponse<T> {
  status: number;
  body: T;
  /** True when this is the stored answer to an earlier request with the same key and body. */
  replayed: boolean;
}

/** Advisory locks taken with this first key are idempotency keys; the bigint key space holds other locks. */
const IDEMPOTENCY_LOCK_CLASS = 7_201;

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const requestDigest = (raw: string) => createHash("sha256").update(raw).digest("base64url");

/**
 * Runs `work` once per (scope, key) inside the caller's transaction and stores its answer in the same
 * transaction. The same key and body later: the stored answer, nothing redone. The same key with another
 * body: 422, nothing done. Two requests with one key at once: the second waits on the first's lock and
 * then finds its answer, so the work never runs twice.
 */
export async function idempotent<T>(
  tx: Tx,
  request: IdempotencyRequest | undefined,
  work: () => Promise<{ status: number; body: T }>,
): Promise<StoredResponse<T>> {
  if (!request) return { ...(await work()), replayed: false };
  await tx.execute(
    sql`select pg_advisory_xact_lock(${IDEMPOTENCY_LOCK_CLASS}, hashtext(${`${request.scope}:${request.key}`}))`,
  );
  const [stored] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, request.scope), eq(idempotencyKeys.key, request.key)));
  if (stored) {
    if (stored.requestHash !== request.requestHash) {
      throw new AppError(
        "IDEMPOTENCY_KEY_REUSED",
        "this Idempotency-Key was used with a different request body; use a new key for a new request",
        [{ path: "Idempotency-Key", message: "already used with another body" }],
      );
    }
    return { status: stored.status, body: stored.response as T, replayed: true };
  }
  const result = await work();
  await tx.insert(idempotencyKeys).values({
    scope: request.scope,
    key: request.key,
    requestHash: request.requestHash,
    status: result.status,
    response: result.body as unknown as Record<string, unknown>,
  });
  return { ...result, replayed: false };
}
