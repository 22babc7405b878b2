import { sql } from "drizzle-orm";
import type { smsMessages } from "../../../schema";
import { shanghaiDate } from "../../calendar";
import { queryRows } from "../../db/client";
import { idList } from "../../db/id-array";
import type { Deps } from "../../deps";
import type { Log } from "../../log";
import { transact } from "../../queue/outbox";

/**
 * The SQL of a send, on `sms_messages` and `sms_events`: the claim under a lease, the row mapping, and every
 * status change the pipeline (send.ts) and the failure policy (failure-policy.ts) decide on — submits, holds,
 * suppressions, failures, retries. Each change is one statement with its event, and only from `queued`.
 */
type StoreDeps = Pick<Deps, "db" | "clock" | "config" | "queue">;

/** A message being sent. Only queued messages are claimed, and the retention purge never touches those. */
export type Message = typeof smsMessages.$inferSelect & {
  recipientEnc: string;
  recipientHash: string;
  body: string;
};

/**
 * `status = 'queued'`, written so that it cannot match the partial index sms_messages_queued_idx. Every
 * update here finds its rows by id; but statistics gathered while few messages were queued make the
 * planner scan that index instead of the primary key — every queued message, 100,000 of them in a flood,
 * for each statement (seen in bench:sms with auto_explain).
 */
const STILL_QUEUED = sql`(status = 'queued') is true`;

/** Why a queued message is held back or was suppressed; shown by GET /v1/messages/{id}. */
export type HoldReason = "per_number_cap" | "quota_exhausted" | "outcome_unknown";
export type SuppressReason = "opted_out" | "partner_disabled";

/**
 * Takes the lease on the due, queued messages among `ids`, naming this worker process as its holder (local
 * runtime), so that if the process dies another worker takes the lease over within seconds instead of
 * waiting SMS_SEND_LEASE_SECONDS (src/queue/worker-registry.ts). For urgent SMS the same statement counts each
 * message toward its number's daily cap (bulk checks the cap before counting, urgent never waits for it):
 * one round trip less on the path a warning takes to the provider. Counted per number, so two warnings to
 * one number in a batch add two.
 */
export async function claim(deps: StoreDeps, ids: string[], now: Date): Promise<Map<string, Message>> {
  // af_claim_sms (migration 0027) keeps its plan: the update by key and the urgent counts, one statement.
  const rows = await queryRows<Record<string, unknown>>(
    deps.db,
    sql`select * from af_claim_sms(${idList(ids)}, ${deps.config.SMS_SEND_LEASE_SECONDS}::float8,
          ${deps.queue.holder ?? null}::text, ${now.toISOString()}::timestamptz, ${shanghaiDate(now)}::date)`,
  );
  return new Map(rows.map((r) => [r.id as string, toMessage(r)]));
}

/** Raw rows are snake_case; the rest of the engine reads the drizzle shape. */
function toMessage(r: Record<string, unknown>): Message {
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
  return {
    id: r.id as string,
    idempotencyKey: r.idempotency_key as string,
    lane: r.lane as Message["lane"],
    purpose: r.purpose as Message["purpose"],
    alertId: (r.alert_id as string | null) ?? null,
    recipientEnc: r.recipient_enc as string,
    recipientHash: r.recipient_hash as string,
    recipientMasked: r.recipient_masked as string,
    body: r.body as string,
    segments: Number(r.segments),
    channel: r.channel as string,
    partnerId: (r.partner_id as string | null) ?? null,
    test: r.test === true,
    status: r.status as Message["status"],
    notBefore: date(r.not_before),
    holdReason: (r.hold_reason as string | null) ?? null,
    providerMessageId: (r.provider_message_id as string | null) ?? null,
    attempts: Number(r.attempts),
    leaseUntil: date(r.lease_until),
    leaseHolder: (r.lease_holder as string | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    createdAt: date(r.created_at) as Date,
    submittedAt: date(r.submitted_at),
    finishedAt: date(r.finished_at),
    personalDataPurgedAt: null,
  };
}

/**
 * The job found nothing to claim. Sent or finished: done. Not due yet (a held message's job came early):
 * put it back for its time. Leased by another sender, which may have died between taking the lease and
 * recording the outcome: acknowledging this job would lose the SMS, so come back after the lease.
 */
export async function unclaimed(deps: StoreDeps, messageId: string, now: Date, log: Log): Promise<void> {
  const [current] = await queryRows<{ status: string; not_before: string | null; lane: Message["lane"] }>(
    deps.db,
    sql`select status, not_before, lane from sms_messages where id = ${messageId}`,
  );
  if (!current) {
    log.warn({ smsId: messageId }, "sms.send for an unknown message; dropping");
    return;
  }
  if (current.status !== "queued") {
    log.debug({ smsId: messageId, status: current.status }, "sms already sent or finished; nothing to do");
    return;
  }
  const notBefore = current.not_before ? new Date(current.not_before) : undefined;
  if (notBefore && notBefore > now) {
    await transact(deps, async (_tx, publish) => {
      publish(sendJob(messageId, current.lane, notBefore.getTime() - now.getTime()));
    });
    return;
  }
  throw new Error("sms is leased by another sender; retry after the lease");
}

function sendJob(messageId: string, lane: Message["lane"], delayMs: number) {
  return {
    queue: lane === "urgent" ? ("sms-urgent" as const) : ("sms-bulk" as const),
    message: { type: "sms.send" as const, v: 1 as const, messageId },
    delaySeconds: delayMs > 0 ? delayMs / 1000 : undefined,
  };
}

/** An error as `last_error` keeps it. */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/** Gives the lease up, so that the queue's next delivery of the job can claim the message again. */
export async function release(
  deps: Pick<Deps, "db">,
  messageId: string,
  lastError: string | null,
): Promise<void> {
  await deps.db.execute(
    sql`update sms_messages set lease_until = null, last_error = coalesce(${lastError}, last_error)
        where id = ${messageId}`,
  );
}

/** Not an attempt (the provider was never called): the lease is given up and the job put back for later. */
export async function putBack(deps: StoreDeps, message: Message, delayMs: number): Promise<void> {
  await transact(deps, async (tx, publish) => {
    await tx.execute(sql`update sms_messages set lease_until = null where id = ${message.id}`);
    publish(sendJob(message.id, message.lane, delayMs));
  });
}

/** A status change and its event in one statement, only from the status the caller saw. */
async function changeStatus(
  deps: Pick<Deps, "db">,
  messageId: string,
  status: Message["status"],
  set: ReturnType<typeof sql>,
  detail: string | null,
): Promise<boolean> {
  const rows = await queryRows<{ message_id: string }>(
    deps.db,
    sql`with u as (
          update sms_messages set status = ${status}, lease_until = null, ${set}
          where id = ${messageId} and ${STILL_QUEUED}
          returning id
        )
        insert into sms_events (message_id, status, detail)
        select id, ${status}, ${detail} from u
        returning message_id`,
  );
  return rows.length > 0;
}

export async function suppress(
  deps: StoreDeps,
  message: Message,
  reason: SuppressReason,
  log: Log,
): Promise<void> {
  await changeStatus(
    deps,
    message.id,
    "suppressed",
    sql`hold_reason = ${reason}, finished_at = ${deps.clock.now().toISOString()}::timestamptz`,
    reason,
  );
  log.info({ reason }, "sms suppressed");
}

/**
 * Holds a bulk message until `until` (the next day, when caps and quotas reset): it stays `queued` with the
 * reason, and its send job is put back delayed to then. Holding costs nothing at the provider, unlike a send
 * it would refuse.
 */
export async function hold(
  deps: StoreDeps,
  message: Message,
  reason: HoldReason,
  until: Date,
  log: Log,
): Promise<void> {
  await transact(deps, async (tx, publish) => {
    await tx.execute(
      sql`with u as (
            update sms_messages
            set hold_reason = ${reason}, not_before = ${until.toISOString()}::timestamptz, lease_until = null
            where id = ${message.id} and ${STILL_QUEUED}
            returning id
          )
          insert into sms_events (message_id, status, detail)
          select id, 'queued', ${`held: ${reason} until ${until.toISOString()}`} from u`,
    );
    publish(sendJob(message.id, message.lane, until.getTime() - deps.clock.now().getTime()));
  });
  log.info({ reason, until }, "sms held back");
}

/** A failed attempt, final: `lastError` on the message, `detail` on its event. */
export async function markFailed(
  deps: StoreDeps,
  messageId: string,
  lastError: string,
  detail: string,
): Promise<void> {
  await changeStatus(
    deps,
    messageId,
    "failed",
    sql`last_error = ${lastError}, finished_at = ${deps.clock.now().toISOString()}::timestamptz,
        attempts = attempts + 1, hold_reason = null`,
    detail,
  );
}

/** A failed attempt to be tried again: counted, recorded with its event, its send job put back `delayMs`. */
export async function scheduleRetry(
  deps: StoreDeps,
  message: Message,
  retry: { lastError: string; holdReason: HoldReason | null; detail: string; delayMs: number },
): Promise<void> {
  await transact(deps, async (tx, publish) => {
    await tx.execute(
      sql`with u as (
            update sms_messages
            set lease_until = null, last_error = ${retry.lastError}, attempts = attempts + 1,
                hold_reason = ${retry.holdReason}
            where id = ${message.id} and ${STILL_QUEUED}
            returning id
          )
          insert into sms_events (message_id, status, detail)
          select id, 'queued', ${retry.detail}
          from u`,
    );
    publish(sendJob(message.id, message.lane, retry.delayMs));
  });
}

/**
 * Submits and their events, for many messages in one statement (coalesced by submits.ts): `af_write_submits`
 * (migration 0025), the statement as a function so that its plan is kept (the migration says why that is
 * safe for this lookup by key, and what planning it on every run cost).
 */
export async function writeSubmits(
  db: Deps["db"],
  submits: { id: string; providerMessageId: string | null; submittedAt: string; detail: string | null }[],
): Promise<void> {
  await db.execute(sql`select af_write_submits(${JSON.stringify(submits)}::jsonb)`);
}
