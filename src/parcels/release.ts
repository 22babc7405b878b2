import { setTimeout as delay } from "node:timers/promises";
import { inArray, sql } from "drizzle-orm";
import { smsMessages } from "../../schema";
import { shanghaiDate } from "../calendar";
import { queryRows, type Tx } from "../db/client";
import { arrayLiteral } from "../db/id-array";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { withinSendingHours } from "./local-time";

/** Rows per transaction, and transactions per run: a run stays short, the next tick carries on in order. */
const BATCH = 100;
const MAX_BATCHES = 200;
/** A paced run stops after this much of its pace, well inside the queue's timeout; the next tick carries on. */
const MAX_RUN_SECONDS = 45;

export interface ReleaseOptions {
  traceId?: string;
  batchSize?: number;
  maxBatches?: number;
  /**
   * Reminders released per second (REMINDER_RELEASE_PER_SECOND): the batches are spread out at this pace
   * instead of written back to back. Unset: no pacing.
   */
  perSecond?: number;
  /** How the run waits for its next batch's turn (tests record the waits instead). */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted: the run stops after the batch it is writing (the runtime is stopping); the next tick carries on. */
  signal?: AbortSignal;
}

/** Resolves after `ms`, or as soon as `signal` aborts (the run then stops, see below). */
const sleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

interface DeferredRow {
  id: string;
  partner_id: string;
  test: boolean;
  recipient_enc: string;
  recipient_hash: string;
  text: string | null;
  opted_out: boolean;
  partner_disabled: boolean;
  campaign_over: boolean;
}

/**
 * The scheduled consumer that releases reminders deferred by quiet hours once the sending window is open:
 * oldest deferral first, then in the order the events happened. What changed overnight is honoured: a recipient
 * who opted out, a disabled partner or a campaign that was stopped suppresses the reminder (and frees its cap
 * slot). Released reminders go to the bulk lane, where the engine applies the partner's limits and quota.
 * Idempotent: rows are claimed with SKIP LOCKED and leave the deferred state in the transaction that queues their
 * SMS, and the SMS is keyed by the event id, so two runs at once or a redelivered tick send nothing twice.
 * Paced (`perSecond`): a reminder released later still honours an opt-out made meanwhile.
 */
export async function releaseDeferredReminders(
  deps: Pick<Deps, "db" | "queue" | "pii" | "sms" | "clock" | "config">,
  log: Log,
  options: ReleaseOptions = {},
): Promise<{ released: number; suppressed: number }> {
  const { traceId, batchSize = BATCH, perSecond, wait = sleep, signal } = options;
  const maxBatches = perSecond
    ? Math.min(options.maxBatches ?? MAX_BATCHES, Math.ceil((perSecond * MAX_RUN_SECONDS) / batchSize))
    : (options.maxBatches ?? MAX_BATCHES);
  const totals = { released: 0, suppressed: 0 };
  const now = deps.clock.now();
  if (!withinSendingHours(now, deps.config.REMINDER_HOURS)) return totals;
  const today = shanghaiDate(now);
  const started = performance.now();
  for (let round = 0; round < maxBatches; round++) {
    // The night's reminders can only go out at the providers' rate; written all at once, they took the CPU
    // a victim warning sent at 10:00 needed, for nothing (bench:sms). Each batch waits for its turn.
    if (perSecond && round > 0) {
      const due = started + ((round * batchSize) / perSecond) * 1000;
      const ahead = due - performance.now();
      if (ahead > 0) await wait(ahead, signal);
    }
    if (signal?.aborted) break;
    const done = await transact(deps, async (tx, publish) => {
      const rows = await queryRows<DeferredRow>(
        tx,
        // The batch is picked first, off parcel_events_deferred_release_idx, and only its rows are joined to
        // what may have changed overnight: joined first, every deferred event was (81 ms a batch at 20,000).
        sql`with picked as (
              select pe.id, pe.partner_id, pe.campaign_id, pe.test, pe.recipient_enc, pe.recipient_hash, pe.text,
                     pe.deferred_until, pe.occurred_at
              from parcel_events pe
              where pe.decision = 'deferred' and pe.deferred_until <= ${now.toISOString()}::timestamptz
              order by pe.deferred_until, pe.occurred_at, pe.id
              limit ${batchSize}
              for update skip locked
            )
            select pk.id, pk.partner_id, pk.test, pk.recipient_enc, pk.recipient_hash, pk.text,
                   (oo.recipient_hash is not null) as opted_out,
                   (p.disabled_at is not null) as partner_disabled,
                   (c.id is null or c.disabled_at is not null or c.ends_on < ${today}::date) as campaign_over
            from picked pk
            join partners p on p.id = pk.partner_id
            left join campaigns c on c.id = pk.campaign_id
            left join opt_outs oo on oo.recipient_hash = pk.recipient_hash
            order by pk.deferred_until, pk.occurred_at, pk.id`,
      );
      if (rows.length === 0) return 0;
      const suppressed = rows.flatMap((r) => {
        const reason = r.opted_out
          ? "opted_out_while_deferred"
          : r.partner_disabled
            ? "partner_disabled"
            : r.campaign_over || !r.text
              ? "campaign_ended"
              : undefined;
        return reason ? [{ id: r.id, hash: r.recipient_hash, reason }] : [];
      });
      const suppressedIds = new Set(suppressed.map((s) => s.id));
      const release = rows.filter((r) => !suppressedIds.has(r.id));
      if (suppressed.length > 0) await suppressDeferred(tx, suppressed);
      if (release.length > 0) {
        const ids = await queueSms(
          deps,
          tx,
          publish,
          release.map((r) => ({
            purpose: "parcel_reminder" as const,
            lane: "bulk" as const,
            partnerId: r.partner_id,
            to: deps.pii.decrypt(r.recipient_enc),
            body: r.text as string,
            dedupeKey: r.id,
            test: r.test,
          })),
          traceId,
        );
        const messageIds = await messagesOfEvents(tx, ids, release);
        if (messageIds.size !== release.length)
          throw new Error("a released reminder has no SMS; retrying the run");
        await tx.execute(
          sql`update parcel_events pe set decision = 'scheduled', message_id = v.message_id
              from unnest(${arrayLiteral(release.map((r) => r.id))}::text[],
                          ${arrayLiteral(release.map((r) => messageIds.get(r.id) as string))}::text[]) as v(id, message_id)
              where pe.id = v.id`,
        );
      }
      totals.released += release.length;
      totals.suppressed += suppressed.length;
      return rows.length;
    });
    if (done < batchSize) break;
  }
  if (totals.released + totals.suppressed > 0) log.info(totals, "deferred reminders released");
  return totals;
}

/**
 * Pairs each released event with its SMS. queueSms returns the ids it created; each message's key carries the
 * event id it was queued for. A message that already existed (a run that died after queueing) is found by its key.
 */
async function messagesOfEvents(
  tx: Tx,
  createdIds: string[],
  events: { id: string; recipient_hash: string }[],
): Promise<Map<string, string>> {
  const byEvent = new Map<string, string>();
  const created = createdIds.length
    ? await tx
        .select({ id: smsMessages.id, key: smsMessages.idempotencyKey })
        .from(smsMessages)
        .where(inArray(smsMessages.id, createdIds))
    : [];
  for (const row of created) {
    const eventId = /pev_[0-9a-z]+/.exec(row.key)?.[0];
    if (eventId) byEvent.set(eventId, row.id);
  }
  const missing = events.filter((e) => !byEvent.has(e.id));
  if (missing.length > 0) {
    const earlier = await tx
      .select({ id: smsMessages.id, key: smsMessages.idempotencyKey })
      .from(smsMessages)
      .where(
        inArray(
          smsMessages.idempotencyKey,
          missing.map((e) => `parcel_reminder:${e.id}:${e.recipient_hash}`),
        ),
      );
    for (const row of earlier) {
      const eventId = /pev_[0-9a-z]+/.exec(row.key)?.[0];
      if (eventId) byEvent.set(eventId, row.id);
    }
  }
  return byEvent;
}

async function suppressDeferred(tx: Tx, rows: { id: string; hash: string; reason: string }[]): Promise<void> {
  for (const reason of new Set(rows.map((r) => r.reason))) {
    const ids = rows.filter((r) => r.reason === reason).map((r) => r.id);
    await tx.execute(
      sql`update parcel_events set decision = 'suppressed', reason = ${reason}
          where id = any(${arrayLiteral(ids)}::text[])`,
    );
  }
  // The slot was held for a reminder that will not go: give it back.
  await tx.execute(
    sql`delete from reminder_reservations
        where recipient_hash = any(${arrayLiteral(rows.map((r) => r.hash))}::text[])
          and parcel_event_id = any(${arrayLiteral(rows.map((r) => r.id))}::text[])`,
  );
}
