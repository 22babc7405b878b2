import { and, desc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import pLimit from "p-limit";
import { alertEvents, feedbackEvents, feedSources } from "../../schema";
import { recordFeedbackStep } from "../alerts/feedback-timeline";
import type { Deps } from "../deps";
import type { Log } from "../log";
import type { MessageOf } from "../queue/messages";
import { transact } from "../queue/outbox";
import { signPayload } from "../signature";
import { markDeliveredMany } from "./settle";

type DeliverDeps = Pick<Deps, "db" | "queue" | "pii" | "clock" | "config">;
type FeedbackEvent = typeof feedbackEvents.$inferSelect;

/** SQS refuses a longer DelaySeconds; the table queue follows the same rule so both runtimes behave alike. */
export const MAX_QUEUE_DELAY_SECONDS = 900;
/**
 * Callbacks of one batch POSTed at the same time, at most: a batch often goes to one receiver (a bank's
 * endpoint), which should see some connections, not the whole batch at once. With the feedback queue's
 * batch of 50 (src/topology.ts) a batch takes at most two callback timeouts, within the local visibility
 * timeout and the consumer's Lambda timeout.
 */
const POSTS_AT_ONCE = 25;
/** A delivery holds its event for the callback timeout plus this, so a second delivery cannot POST too. */
const LEASE_MARGIN_MS = 30_000;

export type DeliveryResult =
  | "delivered"
  | "retry_scheduled"
  | "dead"
  | "handed_to_pull"
  /** Not due yet (or another delivery holds it): the message was put back until it is. */
  | "waiting"
  /** Already delivered or dead, unknown, or a newer message carries this event's retries. */
  | "nothing_to_do";

type Attempt =
  | { kind: "ok"; status: number }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "permanent"; error: string };

export const feedbackLeaseMs = (config: DeliverDeps["config"]) =>
  config.FEEDBACK_TIMEOUT_MS + LEASE_MARGIN_MS;

/**
 * 快反, the feedback.deliver consumer: POSTs one feedback event to its source's callback URL, signed like
 * intake (X-Signature over "<t>.<body>" with the source's secret) and carrying X-Event-Id so the receiver
 * can de-duplicate. 2xx: delivered. Network errors, timeouts, 408, 429 and 5xx: retried with exponential
 * backoff and full jitter (Retry-After honoured) until FEEDBACK_RETRY_HOURS have passed, then dead-lettered.
 * Any other status (3xx, 4xx such as 410): dead at once, since repeating the same request cannot help.
 *
 * Only one delivery of an event POSTs at a time: it first claims the event with a conditional update that
 * pushes `next_attempt_at` out by a lease. A duplicate message finds the lease and backs off; a message
 * for a delivered or dead event does nothing. A crash mid-POST leaves the lease to expire, after which the
 * sweeper re-drives the event (the receiver may then see the event id twice; that is what X-Event-Id is for).
 */
export async function deliverFeedback(
  deps: DeliverDeps,
  message: DeliveryRequest["message"],
  log: Log,
): Promise<DeliveryResult> {
  const [outcome] = await deliverFeedbackBatch(deps, [{ message, log }]);
  if (!outcome || "error" in outcome) throw outcome?.error;
  return outcome.result;
}

export interface DeliveryRequest {
  message: Pick<MessageOf<"feedback.deliver">, "eventId" | "attempt" | "traceId">;
  log: Log;
}

/**
 * deliverFeedback for a batch of messages, with the same rules for each: the events are claimed in one
 * statement and their sources read in one, the callbacks POSTed at the same time, and the acknowledged ones
 * marked delivered in one transaction. Each message gets its own outcome, in order: a receiver that fails
 * is retried (or dead-lettered) on its own, and the others are delivered all the same. Throws only before
 * anything was POSTed.
 */
export async function deliverFeedbackBatch(
  deps: DeliverDeps,
  requests: DeliveryRequest[],
): Promise<({ result: DeliveryResult } | { error: unknown })[]> {
  const claimedAt = deps.clock.now();
  const eventIds = [...new Set(requests.map((r) => r.message.eventId))];
  // The lease covers every wave of POSTs in this batch, so that no other delivery can claim an event that
  // is still waiting for its turn here.
  const waves = Math.max(1, Math.ceil(eventIds.length / POSTS_AT_ONCE));
  const claimed = await deps.db
    .update(feedbackEvents)
    .set({
      attempts: sql`${feedbackEvents.attempts} + 1`,
      nextAttemptAt: new Date(
        claimedAt.getTime() + feedbackLeaseMs(deps.config) + (waves - 1) * deps.config.FEEDBACK_TIMEOUT_MS,
      ),
    })
    .where(
      and(
        inArray(feedbackEvents.id, eventIds),
        eq(feedbackEvents.status, "pending"),
        or(isNull(feedbackEvents.nextAttemptAt), lte(feedbackEvents.nextAttemptAt, claimedAt)),
      ),
    )
    .returning();
  // The first message of a claimed event carries it; another for the same event is a duplicate.
  const carriedBy = new Map<FeedbackEvent, DeliveryRequest>();
  for (const event of claimed) {
    const carrier = requests.find((r) => r.message.eventId === event.id);
    if (carrier) carriedBy.set(event, carrier);
  }
  const eventOf = new Map([...carriedBy].map(([event, request]) => [request, event]));
  const sourceIds = [...new Set(claimed.map((e) => e.sourceId))];
  const sources = new Map(
    sourceIds.length === 0
      ? []
      : (
          await deps.db
            .select({
              id: feedSources.id,
              callbackUrl: feedSources.callbackUrl,
              secretEnc: feedSources.secretEnc,
            })
            .from(feedSources)
            .where(inArray(feedSources.id, sourceIds))
        ).map((s) => [s.id, { callbackUrl: s.callbackUrl, secret: () => deps.pii.decrypt(s.secretEnc) }]),
  );

  const acknowledged: { request: DeliveryRequest; event: FeedbackEvent; status: number }[] = [];
  const limit = pLimit(POSTS_AT_ONCE);
  const outcomes = await Promise.all(
    requests.map((request) =>
      limit(async (): Promise<{ result: DeliveryResult } | { error: unknown } | undefined> => {
        try {
          const event = eventOf.get(request);
          if (!event) return { result: await notClaimed(deps, request.message, claimedAt, request.log) };
          const source = sources.get(event.sourceId);
          if (!source?.callbackUrl) return { result: await handToPull(deps, event, request.log) };
          const attempt = await postCallback(deps, event, source.callbackUrl, source.secret());
          if (attempt.kind === "ok") {
            acknowledged.push({ request, event, status: attempt.status });
            return undefined;
          }
          return { result: await afterFailure(deps, request, event, attempt) };
        } catch (error) {
          return { error };
        }
      }),
    ),
  );
  const settled = await settleAcknowledged(deps, acknowledged);
  return outcomes.map(
    (outcome, i) => outcome ?? (settled.get(requests[i] as DeliveryRequest) as { error: unknown }),
  );
}

/**
 * Marks the acknowledged events delivered, all in one transaction; should that fail, one alert at a time,
 * so that one alert's failure leaves the others delivered. An event whose settle failed is retried by its
 * message; its lease keeps a second POST away until the lease has passed (as a crash after the POST would).
 */
async function settleAcknowledged(
  deps: DeliverDeps,
  acknowledged: { request: DeliveryRequest; event: FeedbackEvent; status: number }[],
): Promise<Map<DeliveryRequest, { result: DeliveryResult } | { error: unknown }>> {
  const settled = new Map<DeliveryRequest, { result: DeliveryResult } | { error: unknown }>();
  if (acknowledged.length === 0) return settled;
  const now = deps.clock.now();
  const byAlert = new Map<string, typeof acknowledged>();
  for (const a of acknowledged) byAlert.set(a.event.alertId, [...(byAlert.get(a.event.alertId) ?? []), a]);
  const settle = async (groups: (typeof acknowledged)[]) => {
    const { fedBack } = await transact(deps, (tx) =>
      markDeliveredMany(
        tx,
        groups.map((g) => ({
          alertId: (g[0] as (typeof g)[0]).event.alertId,
          eventIds: g.map((a) => a.event.id),
        })),
        { from: "pending", via: "callback", at: now },
      ),
    );
    for (const { request, event, status } of groups.flat()) {
      request.log.info(
        { ...context(event), status, fedBack: fedBack.has(event.alertId) },
        "feedback delivered",
      );
      settled.set(request, { result: "delivered" });
    }
  };
  try {
    await settle([...byAlert.values()]);
  } catch (error) {
    if (byAlert.size === 1) {
      for (const a of acknowledged) settled.set(a.request, { error });
      return settled;
    }
    for (const group of byAlert.values()) {
      try {
        await settle([group]);
      } catch (alertError) {
        for (const a of group) settled.set(a.request, { error: alertError });
      }
    }
  }
  return settled;
}

const context = (event: FeedbackEvent) => ({
  eventId: event.id,
  alertId: event.alertId,
  sourceId: event.sourceId,
  attempts: event.attempts,
});

/** The source dropped its callback URL since the outcome: it will find the event on its pull cursor. */
async function handToPull(deps: DeliverDeps, event: FeedbackEvent, log: Log): Promise<DeliveryResult> {
  await deps.db
    .update(feedbackEvents)
    .set({ status: "pull", nextAttemptAt: null })
    .where(and(eq(feedbackEvents.id, event.id), eq(feedbackEvents.status, "pending")));
  log.info(
    { eventId: event.id, sourceId: event.sourceId },
    "source has no callback URL any more; left for pull",
  );
  return "handed_to_pull";
}

/** A POST that was not acknowledged: retry later with backoff, or dead-letter. */
async function afterFailure(
  deps: DeliverDeps,
  { message, log }: DeliveryRequest,
  event: FeedbackEvent,
  attempt: Exclude<Attempt, { kind: "ok" }>,
): Promise<DeliveryResult> {
  const now = deps.clock.now();
  const eventId = event.id;
  const ctx = context(event);
  if (attempt.kind === "retry") {
    const retryUntil = new Date(
      (await retryWindowStart(deps, event)).getTime() + deps.config.FEEDBACK_RETRY_HOURS * 3600_000,
    );
    const waitMs = attempt.retryAfterMs ?? backoffMs(deps.config, event.attempts);
    const nextAttemptAt = new Date(now.getTime() + waitMs);
    if (nextAttemptAt <= retryUntil) {
      await transact(deps, async (tx, publish) => {
        await tx
          .update(feedbackEvents)
          .set({ nextAttemptAt, lastError: attempt.error })
          .where(and(eq(feedbackEvents.id, eventId), eq(feedbackEvents.status, "pending")));
        publish({
          queue: "feedback",
          message: {
            type: "feedback.deliver",
            v: 1,
            eventId,
            attempt: event.attempts,
            traceId: message.traceId,
          },
          delaySeconds: queueDelaySeconds(waitMs),
        });
      });
      log.warn({ ...ctx, error: attempt.error, nextAttemptAt }, "feedback callback failed; will retry");
      return "retry_scheduled";
    }
    await deadLetter(deps, event, `${attempt.error} (gave up after ${event.attempts} attempts)`, now);
    log.error({ ...ctx, error: attempt.error }, "feedback callback kept failing; dead-lettered");
    return "dead";
  }

  await deadLetter(deps, event, attempt.error, now);
  log.error({ ...ctx, error: attempt.error }, "feedback callback refused; dead-lettered");
  return "dead";
}

/**
 * The event was not ours to deliver now. Either it is finished, or a newer message carries its retries
 * (this one is a duplicate: drop it), or it is pending but not due — a scheduled retry further away than
 * a queue can delay a message (SQS caps delays at 900 s), or another delivery's lease. Then the message
 * puts itself back for the time left, at most 900 s, hop after hop, until `next_attempt_at` is reached.
 */
async function notClaimed(
  deps: DeliverDeps,
  message: Pick<MessageOf<"feedback.deliver">, "eventId" | "attempt" | "traceId">,
  now: Date,
  log: Log,
): Promise<DeliveryResult> {
  const [event] = await deps.db
    .select({
      status: feedbackEvents.status,
      attempts: feedbackEvents.attempts,
      nextAttemptAt: feedbackEvents.nextAttemptAt,
    })
    .from(feedbackEvents)
    .where(eq(feedbackEvents.id, message.eventId));
  if (event?.status !== "pending") {
    log.debug(
      { eventId: message.eventId, status: event?.status },
      "feedback event not pending; nothing to do",
    );
    return "nothing_to_do";
  }
  if (message.attempt !== undefined && event.attempts > message.attempt) {
    log.debug({ eventId: message.eventId }, "a newer delivery carries this event; dropping duplicate");
    return "nothing_to_do";
  }
  const waitMs = Math.max(0, (event.nextAttemptAt?.getTime() ?? now.getTime()) - now.getTime());
  await deps.queue.publish([
    {
      queue: "feedback",
      message: {
        type: "feedback.deliver",
        v: 1,
        eventId: message.eventId,
        // A message without an attempt adopts the current one, so it too is dropped once superseded.
        attempt: message.attempt ?? event.attempts,
        traceId: message.traceId,
      },
      // At least a second, so a message that lost a race does not spin.
      delaySeconds: Math.max(1, queueDelaySeconds(waitMs)),
    },
  ]);
  return "waiting";
}

async function deadLetter(deps: DeliverDeps, event: FeedbackEvent, error: string, now: Date) {
  await transact(deps, async (tx) => {
    const [dead] = await tx
      .update(feedbackEvents)
      .set({ status: "dead", deadAt: now, nextAttemptAt: null, lastError: error })
      .where(and(eq(feedbackEvents.id, event.id), eq(feedbackEvents.status, "pending")))
      .returning({ id: feedbackEvents.id });
    if (!dead) return;
    await recordFeedbackStep(tx, {
      alertId: event.alertId,
      kind: "feedback_dead_lettered",
      at: now,
      data: { eventId: event.id, sourceId: event.sourceId, attempts: event.attempts, error },
    });
  });
}

async function postCallback(
  deps: DeliverDeps,
  event: FeedbackEvent,
  url: string,
  secret: string,
): Promise<Attempt> {
  const body = JSON.stringify(event.payload);
  const timeoutMs = deps.config.FEEDBACK_TIMEOUT_MS;
  try {
    // The global fetch is looked up per call so msw (tests) can stand in for the receiver.
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature": signPayload(secret, body, Math.floor(deps.clock.now().getTime() / 1000)),
        "x-event-id": event.id,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      // A signed payload is not re-sent wherever a redirect points; a moved receiver updates its URL.
      redirect: "manual",
    });
    // The receiver's answer body is not needed: release the connection. Not awaited, since a stream whose
    // source never settles (a mocked one, a stalled receiver) would hold the delivery with it.
    res.body?.cancel().catch(() => {});
    return classify(res.status, res.headers.get("retry-after"), deps.clock.now());
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return { kind: "retry", error: `no answer within ${timeoutMs} ms` };
    }
    return { kind: "retry", error: `network error: ${describe(error)}` };
  }
}

export function classify(status: number, retryAfter: string | null, now: Date): Attempt {
  if (status >= 200 && status < 300) return { kind: "ok", status };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return {
      kind: "retry",
      error: `HTTP ${status}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  return { kind: "permanent", error: `HTTP ${status}` };
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); anything else is ignored. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads retries of a burst. */
export function backoffMs(config: DeliverDeps["config"], attempts: number, random = Math.random): number {
  const ceilingSeconds = Math.min(
    config.FEEDBACK_RETRY_MAX_DELAY_SECONDS,
    config.FEEDBACK_RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1),
  );
  return Math.max(1000, Math.round(random() * ceilingSeconds * 1000));
}

function queueDelaySeconds(waitMs: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(waitMs / 1000)));
}

/**
 * Retries run for FEEDBACK_RETRY_HOURS from the first try, or from the latest re-drive of a dead letter
 * (read from the alert's timeline, which records every re-drive), so a re-driven event gets a full window.
 */
async function retryWindowStart(deps: Pick<Deps, "db">, event: FeedbackEvent): Promise<Date> {
  const [redriven] = await deps.db
    .select({ at: alertEvents.at })
    .from(alertEvents)
    .where(
      and(
        eq(alertEvents.alertId, event.alertId),
        eq(alertEvents.kind, "feedback_redriven"),
        sql`${alertEvents.data}->>'eventId' = ${event.id}`,
      ),
    )
    .orderBy(desc(alertEvents.id))
    .limit(1);
  return redriven?.at ?? event.createdAt;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
