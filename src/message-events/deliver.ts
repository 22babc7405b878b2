import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import { partnerCallbacks } from "../../schema";
import { queryRows } from "../db/client";
import type { Deps } from "../deps";
import { backoffMs, classify, MAX_QUEUE_DELAY_SECONDS } from "../feedback/deliver";
import type { Log } from "../log";
import { transact } from "../queue/outbox";
import { signPayload } from "../signature";
import { type MessageEvent, readEvents, type StreamPosition } from "./stream";

type DeliverDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config">;

/** A delivery holds the partner's stream for the callback timeout plus this, so two never POST at once. */
const LEASE_MARGIN_MS = 30_000;

export type CallbackResult = "delivered" | "retry_scheduled" | "dead" | "idle" | "not_due";

const deliverJob = (partnerId: string, delaySeconds?: number) => ({
  queue: "partner-callbacks" as const,
  message: { type: "partner-callbacks.deliver" as const, v: 1 as const, partnerId },
  ...(delaySeconds ? { delaySeconds } : {}),
});

/**
 * The partner-callbacks.deliver consumer: POSTs the partner's next events (up to PARTNER_CALLBACK_BATCH_SIZE,
 * oldest first) to its callback URL as `{ partnerId, events }`, signed like feed callbacks (X-Signature over
 * "<t>.<body>" with the callback's secret; X-Event-Id is the last event's id). A 2xx moves the cursor past them,
 * and if more are waiting the next batch goes at once. Network errors, timeouts, 408, 429 and 5xx are retried
 * with the feedback callbacks' backoff (Retry-After honoured) for FEEDBACK_RETRY_HOURS, then the stream is dead;
 * any other status kills it at once. A dead stream keeps its events, in order, until re-driven.
 *
 * One stream per partner, one batch at a time, in order: a status change never overtakes an earlier one of the
 * same reminder, even across retries. The claim is a conditional update taking a lease; a duplicate job finds
 * the lease and ends. A job lost anywhere is replaced by the next tick (kickCallbacks).
 */
export async function deliverCallbacks(
  deps: DeliverDeps,
  partnerId: string,
  log: Log,
): Promise<CallbackResult> {
  const now = deps.clock.now();
  const [stream] = await deps.db
    .update(partnerCallbacks)
    .set({ leaseUntil: new Date(now.getTime() + deps.config.FEEDBACK_TIMEOUT_MS + LEASE_MARGIN_MS) })
    .where(
      and(
        eq(partnerCallbacks.partnerId, partnerId),
        eq(partnerCallbacks.status, "active"),
        or(isNull(partnerCallbacks.leaseUntil), lte(partnerCallbacks.leaseUntil, now)),
        or(isNull(partnerCallbacks.nextAttemptAt), lte(partnerCallbacks.nextAttemptAt, now)),
      ),
    )
    .returning();
  if (!stream) return "not_due";
  const after = { txid: stream.cursorTxid, id: stream.cursorId };
  const limit = deps.config.PARTNER_CALLBACK_BATCH_SIZE;
  const { events, last } = await readEvents(deps.db, partnerId, after, limit);
  if (events.length === 0) {
    await release(deps, partnerId, {});
    return "idle";
  }

  const attempt = await post(deps, stream.url, deps.pii.decrypt(stream.secretEnc), partnerId, events);
  const ctx = { partnerId, events: events.length, lastEventId: events.at(-1)?.id };
  const done = deps.clock.now();
  if (attempt.kind === "ok") {
    await transact(deps, async (tx, publish) => {
      await tx
        .update(partnerCallbacks)
        .set(acknowledged(last, done))
        .where(eq(partnerCallbacks.partnerId, partnerId));
      if (events.length === limit) publish(deliverJob(partnerId));
    });
    log.info({ ...ctx, status: attempt.status }, "partner callback delivered");
    return "delivered";
  }

  const attempts = stream.attempts + 1;
  const failingSince = stream.failingSince ?? now;
  const waitMs =
    attempt.kind === "retry" ? (attempt.retryAfterMs ?? backoffMs(deps.config, attempts)) : undefined;
  const nextAttemptAt = waitMs === undefined ? undefined : new Date(done.getTime() + waitMs);
  const giveUpAt = failingSince.getTime() + deps.config.FEEDBACK_RETRY_HOURS * 3600_000;
  if (nextAttemptAt && nextAttemptAt.getTime() <= giveUpAt) {
    await transact(deps, async (tx, publish) => {
      await tx
        .update(partnerCallbacks)
        .set({
          attempts,
          failingSince,
          nextAttemptAt,
          leaseUntil: null,
          lastError: attempt.error,
          updatedAt: done,
        })
        .where(eq(partnerCallbacks.partnerId, partnerId));
      publish(
        deliverJob(
          partnerId,
          Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(1, Math.ceil((waitMs ?? 0) / 1000))),
        ),
      );
    });
    log.warn(
      { ...ctx, attempts, error: attempt.error, nextAttemptAt },
      "partner callback failed; will retry",
    );
    return "retry_scheduled";
  }
  const error =
    attempt.kind === "retry" ? `${attempt.error} (gave up after ${attempts} attempts)` : attempt.error;
  await deps.db
    .update(partnerCallbacks)
    .set({
      status: "dead",
      attempts,
      failingSince,
      deadAt: done,
      nextAttemptAt: null,
      leaseUntil: null,
      lastError: error,
      updatedAt: done,
    })
    .where(eq(partnerCallbacks.partnerId, partnerId));
  log.error({ ...ctx, error }, "partner callback dead-lettered; events wait for a re-drive");
  return "dead";
}

const acknowledged = (last: StreamPosition, at: Date) => ({
  cursorTxid: last.txid,
  cursorId: last.id,
  attempts: 0,
  failingSince: null,
  nextAttemptAt: null,
  leaseUntil: null,
  lastError: null,
  updatedAt: at,
});

async function release(
  deps: DeliverDeps,
  partnerId: string,
  set: Partial<typeof partnerCallbacks.$inferInsert>,
) {
  await deps.db
    .update(partnerCallbacks)
    .set({ leaseUntil: null, ...set })
    .where(eq(partnerCallbacks.partnerId, partnerId));
}

async function post(
  deps: DeliverDeps,
  url: string,
  secret: string,
  partnerId: string,
  events: MessageEvent[],
): Promise<ReturnType<typeof classify>> {
  const body = JSON.stringify({ partnerId, events });
  const timeoutMs = deps.config.FEEDBACK_TIMEOUT_MS;
  try {
    // The global fetch, looked up per call, so msw can stand in for a receiver in tests.
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature": signPayload(secret, body, Math.floor(deps.clock.now().getTime() / 1000)),
        "x-event-id": events.at(-1)?.id ?? "",
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      // A signed payload is not re-sent wherever a redirect points.
      redirect: "manual",
    });
    res.body?.cancel().catch(() => {});
    return classify(res.status, res.headers.get("retry-after"), deps.clock.now());
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return { kind: "retry", error: `no answer within ${timeoutMs} ms` };
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: "retry", error: `network error: ${cause?.code ?? cause?.message ?? String(error)}` };
  }
}

/**
 * The partner-callbacks.tick consumer: a delivery job for every active callback that is due, not held, and has
 * events past its cursor. It starts deliveries after a quiet spell and replaces any job a crash or a failed SQS
 * send lost; deliveries keep themselves going while events keep coming.
 */
export async function kickCallbacks(deps: DeliverDeps, log: Log): Promise<number> {
  const now = deps.clock.now();
  const due = await queryRows<{ partner_id: string }>(
    deps.db,
    sql`select c.partner_id from partner_callbacks c
        where c.status = 'active'
          and (c.lease_until is null or c.lease_until <= ${now.toISOString()}::timestamptz)
          and (c.next_attempt_at is null or c.next_attempt_at <= ${now.toISOString()}::timestamptz)
          and exists (select 1 from partner_message_events e where e.partner_id = c.partner_id
                      and (e.txid, e.id) > (c.cursor_txid, c.cursor_id))
        limit 1000`,
  );
  if (due.length > 0) {
    await transact(deps, async (_tx, publish) => {
      publish(...due.map((r) => deliverJob(r.partner_id)));
    });
    log.debug({ partners: due.length }, "partner callbacks kicked");
  }
  return due.length;
}
