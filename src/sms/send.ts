import { sql } from "drizzle-orm";
import type { smsMessages } from "../../schema";
import { nextShanghaiMidnight, shanghaiDate } from "../calendar";
import { queryRows } from "../db/client";
import { Coalescer } from "../db/coalesce";
import type { Deps } from "../deps";
import type { Log } from "../log";
import { transact } from "../queue/outbox";
import { type SmsChannel, SmsSendError } from "./channel";
import { admitBulk, admitBulkMany, type BulkAdmission, giveBack, perNumberKey } from "./daily";
import { ChannelUnavailable, type PartnerSms, RateDeferred, type SmsEngine, smsEngine } from "./engine";
import { applyPendingReceipts } from "./receipts";

export type SendDeps = Pick<Deps, "db" | "pii" | "sms" | "config" | "clock" | "queue">;
/** A message being sent. Only queued messages are claimed, and the retention purge never touches those. */
type Message = typeof smsMessages.$inferSelect & {
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

/** A partner's quota use at which a warning is logged (and shown by GET /v1/sms/quotas). */
export const QUOTA_WARN_SHARE = 0.8;

/**
 * The sms.send consumer: the SMS dispatch engine for one message.
 *
 * 1. Claim: the message is sent only while `queued` and due (`notBefore`), under a lease, so two
 *    deliveries of one job never both reach the provider.
 * 2. Admission, bulk only: opted-out numbers are suppressed; a number at its provider cap (less a reserve
 *    kept for warnings) or a partner at its daily quota holds the message until the next Asia/Shanghai day,
 *    with the reason on the message. Urgent SMS — victim warnings, officer notices — skip all of this: they
 *    are a statutory duty. They still count toward the number's cap so that bulk leaves them room.
 * 3. Rate: tokens (message parts) from the shared limiter for the channel and the partner (engine.ts,
 *    limiter.ts), urgent ahead of bulk.
 * 4. Send, and record the outcome: submitted; failed (permanent); retried later with backoff and jitter
 *    (transient; Retry-After honoured, for this message and, through the limiter, for every sender of the
 *    channel); or, when the outcome is unknown, never blindly re-sent (see `unknownOutcome`).
 */
export async function sendSms(deps: SendDeps, messageId: string, log: Log): Promise<void> {
  const errors = await sendSmsBatch(deps, [{ messageId, log }]);
  if (errors.has(messageId)) throw errors.get(messageId);
}

/**
 * sendSms for a queue batch: steps 1 and 2 take one statement for the whole batch rather than one per
 * message, and the submits are recorded together as they come back (Coalescer). At hundreds of reminders a
 * second these round trips, not the provider, were what the engine spent its CPU on. Each message still
 * has its own outcome: the errors returned (by message id) are what the queue should retry.
 */
export async function sendSmsBatch(
  deps: SendDeps,
  items: { messageId: string; log: Log }[],
): Promise<Map<string, unknown>> {
  const engine = smsEngine(deps);
  const now = deps.clock.now();
  const errors = new Map<string, unknown>();
  // One job per message id: a duplicate job in the same batch shares the first one's outcome.
  const unique = [...new Map(items.map((i) => [i.messageId, i])).values()];
  const claimed = await claim(
    deps,
    unique.map((i) => i.messageId),
    now,
  );

  const ready: Ready[] = [];
  await Promise.all(
    unique.map(async ({ messageId, log }) => {
      try {
        const message = claimed.get(messageId);
        if (!message) return await unclaimed(deps, messageId, now, log);
        const prepared = await prepare(deps, engine, message, now, log);
        if (prepared) ready.push(prepared);
      } catch (error) {
        errors.set(messageId, error);
      }
    }),
  );

  const admissions = await admitMany(deps, engine, ready, now);
  await Promise.all(
    ready.map(async (r) => {
      try {
        await admitAndSend(deps, engine, r, admissions.get(r.message.id), now);
      } catch (error) {
        errors.set(r.message.id, error);
      }
    }),
  );
  return errors;
}

/** A claimed message with the channel and partner it goes out with. */
interface Ready {
  message: Message;
  channel: SmsChannel;
  partner: PartnerSms | undefined;
  log: Log;
}

/**
 * Resolves the message's channel and partner, and settles a message whose last send had an unknown
 * outcome. Undefined: nothing more to do for it.
 */
async function prepare(
  deps: SendDeps,
  engine: SmsEngine,
  message: Message,
  now: Date,
  log: Log,
): Promise<Ready | undefined> {
  const smsLog = log.child({ smsId: message.id, purpose: message.purpose, lane: message.lane });
  let channel: SmsChannel;
  let partner: PartnerSms | undefined;
  try {
    channel = await engine.channel(message.channel);
    partner = message.partnerId ? await engine.partner(message.partnerId) : undefined;
  } catch (error) {
    await release(deps, message.id, errorText(error));
    if (message.lane === "urgent") {
      await giveBack(deps.db, perNumberKey(message.channel, message.recipientHash), shanghaiDate(now), 1);
    }
    if (error instanceof ChannelUnavailable) smsLog.error({ err: error }, "sms channel unavailable");
    throw error;
  }
  // Outcome unknown (a timeout, or a sender that died holding the lease): where sending again cannot make a
  // second SMS there is nothing to find out; otherwise ask the provider, or do not send again.
  if (message.holdReason === "outcome_unknown" && !channel.dedupesByMessageId) {
    const settled = await reconcileUnknown(deps, message, channel, smsLog);
    if (settled) return undefined;
  }
  return { message, channel, partner, log: smsLog };
}

/** The provider cap a reminder must stay under on its channel, less the reserve kept for warnings. */
function bulkNumberCap(deps: SendDeps, engine: SmsEngine, r: Ready): number {
  return Math.max(
    0,
    engine.perNumberCap(r.message.channel, r.partner) - deps.config.SMS_PER_NUMBER_URGENT_RESERVE,
  );
}

/** A reminder whose partner was deleted or disabled since it was queued: suppressed, never admitted. */
const partnerGone = ({ message, partner }: Ready) =>
  Boolean(message.partnerId) && (!partner || partner.disabled);

/**
 * Admission for the batch's reminders in one statement, one per number: a second reminder to a number
 * already in the batch is admitted on its own afterwards (admitAndSend), so a number's count is never
 * raised twice by one statement.
 */
async function admitMany(
  deps: SendDeps,
  engine: SmsEngine,
  ready: Ready[],
  now: Date,
): Promise<Map<string, BulkAdmission>> {
  const firstPerNumber = new Map<string, Ready>();
  for (const r of ready) {
    if (r.message.lane !== "bulk" || partnerGone(r)) continue;
    const key = perNumberKey(r.message.channel, r.message.recipientHash);
    if (!firstPerNumber.has(key)) firstPerNumber.set(key, r);
  }
  const requests = [...firstPerNumber].map(([numberKey, r]) => ({
    id: r.message.id,
    recipientHash: r.message.recipientHash,
    numberKey,
    numberCap: bulkNumberCap(deps, engine, r),
  }));
  return admitBulkMany(deps.db, shanghaiDate(now), requests);
}

/** Steps 2 (for a reminder the batch did not admit yet) to 4 for one message. */
async function admitAndSend(
  deps: SendDeps,
  engine: SmsEngine,
  ready: Ready,
  admitted: BulkAdmission | undefined,
  now: Date,
): Promise<void> {
  const { message, channel, partner, log: smsLog } = ready;
  const day = shanghaiDate(now);
  const taken: { key: string; amount: number }[] = [];
  let quotaTaken: { partner: PartnerSms; parts: number } | undefined;
  if (message.lane === "bulk") {
    if (partnerGone(ready)) return suppress(deps, message, "partner_disabled", smsLog);
    const numberKey = perNumberKey(message.channel, message.recipientHash);
    const admission =
      admitted ??
      (await admitBulk(deps.db, {
        recipientHash: message.recipientHash,
        day,
        numberKey,
        numberCap: bulkNumberCap(deps, engine, ready),
      }));
    if (admission.optedOut) return suppress(deps, message, "opted_out", smsLog);
    if (admission.numberCount === undefined) {
      return hold(deps, message, "per_number_cap", nextShanghaiMidnight(now), smsLog);
    }
    taken.push({ key: numberKey, amount: 1 });
    if (partner) {
      const quota = await engine.quotas.take(partner, day, message.segments);
      if (!quota) {
        await giveBack(deps.db, numberKey, day, 1);
        smsLog.warn(
          { partnerId: partner.id, quota: partner.dailyQuota },
          "partner daily SMS quota exhausted",
        );
        return hold(deps, message, "quota_exhausted", nextShanghaiMidnight(now), smsLog);
      }
      quotaTaken = { partner, parts: message.segments };
      const warnAt = partner.dailyQuota * QUOTA_WARN_SHARE;
      if (quota.used !== undefined && quota.used >= warnAt && quota.used - message.segments < warnAt) {
        smsLog.warn(
          { partnerId: partner.id, used: quota.used, quota: partner.dailyQuota },
          "partner has used 80% of its daily SMS quota",
        );
      }
    }
  } else {
    // Counted toward the number's cap by claim().
    taken.push({ key: perNumberKey(message.channel, message.recipientHash), amount: 1 });
  }

  const scopes = engine.scopes(message.channel, partner);
  try {
    const result = await engine.dispatch(message.channel, message.lane, scopes, message.segments, () =>
      channel.send({
        messageId: message.id,
        to: deps.pii.decrypt(message.recipientEnc),
        body: message.body,
        segments: message.segments,
        purpose: message.purpose,
        alertId: message.alertId,
      }),
    );
    await recordSubmitted(deps, message, result.providerMessageId, null);
    // Every warning is worth a log line; reminders, at hundreds a second, only when debugging.
    const level = message.lane === "urgent" ? "info" : "debug";
    smsLog[level]({ alertId: message.alertId, partnerId: message.partnerId }, "sms submitted");
  } catch (error) {
    const maybeSent = error instanceof SmsSendError && error.unknownOutcome;
    // What was counted for an SMS that certainly did not go out is given back; a maybe-sent one stays counted.
    if (!maybeSent) {
      for (const t of taken) await giveBack(deps.db, t.key, day, t.amount);
      if (quotaTaken) engine.quotas.giveBack(quotaTaken.partner, day, quotaTaken.parts);
    }
    await failed(deps, engine, message, channel, partner, error, smsLog);
  }
}

/**
 * Takes the lease on the due, queued messages among `ids`, naming this worker process as its holder (local
 * runtime), so that if the process dies another worker takes the lease over within seconds instead of
 * waiting SMS_SEND_LEASE_SECONDS (src/queue/worker-registry.ts). For urgent SMS the same statement counts each
 * message toward its number's daily cap (bulk checks the cap before counting, urgent never waits for it):
 * one round trip less on the path a warning takes to the provider. Counted per number, so two warnings to
 * one number in a batch add two.
 */
async function claim(deps: SendDeps, ids: string[], now: Date): Promise<Map<string, Message>> {
  const rows = await queryRows<Record<string, unknown>>(
    deps.db,
    sql`with c as (
          update sms_messages
          set lease_until = now() + make_interval(secs => ${deps.config.SMS_SEND_LEASE_SECONDS}),
              lease_holder = ${deps.queue.holder ?? null}
          where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) and ${STILL_QUEUED}
            and (lease_until is null or lease_until < now())
            and (not_before is null or not_before <= ${now.toISOString()}::timestamptz)
          returning *
        ),
        counted as (
          insert into daily_usage (key, day, count)
          select 'num:' || c.channel || ':' || c.recipient_hash, ${shanghaiDate(now)}::date, count(*) from c
          where c.lane = 'urgent'
          group by 1
          on conflict (key, day) do update set count = daily_usage.count + excluded.count
        )
        select * from c`,
  );
  return new Map(rows.map((r) => [r.id as string, toMessage(r)]));
}

/** Raw rows are snake_case; the rest of this file reads the drizzle shape. */
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
async function unclaimed(deps: SendDeps, messageId: string, now: Date, log: Log): Promise<void> {
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

async function release(deps: SendDeps, messageId: string, lastError: string | null): Promise<void> {
  await deps.db.execute(
    sql`update sms_messages set lease_until = null, last_error = coalesce(${lastError}, last_error)
        where id = ${messageId}`,
  );
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

interface Submit {
  id: string;
  channel: string;
  providerMessageId: string | null;
  submittedAt: string;
  detail: string | null;
}

const submitRecorders = new WeakMap<object, Coalescer<Submit, boolean>>();

/**
 * Records the submit and its event, and looks for receipts that came first. Submits coming back while
 * another is being written go together in one statement (Coalescer): an SMS already at the provider waits
 * a few milliseconds longer to be marked, never longer than one write.
 */
async function recordSubmitted(
  deps: SendDeps,
  message: Message,
  providerMessageId: string | null,
  detail: string | null,
): Promise<void> {
  let recorder = submitRecorders.get(deps.db);
  if (!recorder) {
    const db = deps.db;
    recorder = new Coalescer((submits) => writeSubmits(db, submits));
    submitRecorders.set(db, recorder);
  }
  const pending = await recorder.add({
    id: message.id,
    channel: message.channel,
    providerMessageId,
    submittedAt: deps.clock.now().toISOString(),
    detail,
  });
  if (pending) await applyPendingReceipts(deps.db, message.channel, message.id, providerMessageId);
}

/**
 * One statement records many submits, a second looks for receipts that came first. The look must be its own
 * statement, after the update commits: a receipt stored while the update ran is invisible to the update's
 * snapshot, and its own re-check (applyReceipt) may have run before the update committed. With the look
 * after the commit, one of the two sides always sees the other.
 */
async function writeSubmits(db: SendDeps["db"], submits: Submit[]): Promise<boolean[]> {
  const batch = sql`${JSON.stringify(submits)}::jsonb`;
  await db.execute(
    sql`with s as (
          select * from jsonb_to_recordset(${batch})
            as s(id text, "providerMessageId" text, "submittedAt" timestamptz, detail text)
        ),
        u as (
          update sms_messages m
          set status = 'submitted', lease_until = null, provider_message_id = s."providerMessageId",
              submitted_at = s."submittedAt", hold_reason = null, attempts = m.attempts + 1, last_error = null
          from s
          where m.id = s.id and ${STILL_QUEUED}
          returning m.id, s.detail
        )
        insert into sms_events (message_id, status, detail) select id, 'submitted', detail from u`,
  );
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select s.id
        from jsonb_to_recordset(${batch}) as s(id text, channel text, "providerMessageId" text)
        where exists (
          select 1 from pending_receipts p
          where p.channel = s.channel and p.provider_message_id in (coalesce(s."providerMessageId", ''), 'ref:' || s.id)
        )`,
  );
  const pending = new Set(rows.map((r) => r.id));
  return submits.map((s) => pending.has(s.id));
}

async function suppress(deps: SendDeps, message: Message, reason: SuppressReason, log: Log): Promise<void> {
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
async function hold(
  deps: SendDeps,
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

/**
 * A message whose last send had an unknown outcome, on a channel that can be asked: ask before sending.
 * Found: it was sent, record it (no second SMS). Not found: it was not, send as usual.
 */
async function reconcileUnknown(
  deps: SendDeps,
  message: Message,
  channel: SmsChannel,
  log: Log,
): Promise<boolean> {
  if (!channel.lookup) {
    // The channel lost its lookup since (reconfigured): without a way to know, do not send again.
    await recordSubmitted(deps, message, null, "outcome unknown; cannot be checked, not re-sent");
    return true;
  }
  let found: Awaited<ReturnType<NonNullable<SmsChannel["lookup"]>>>;
  try {
    found = await channel.lookup(message.id);
  } catch (error) {
    await release(deps, message.id, errorText(error));
    throw error;
  }
  if (!found) return false;
  await recordSubmitted(deps, message, found.providerMessageId, "provider had it: found by client reference");
  log.info(
    { providerMessageId: found.providerMessageId },
    "sms with unknown outcome was sent; not re-sending",
  );
  return true;
}

async function failed(
  deps: SendDeps,
  engine: SmsEngine,
  message: Message,
  channel: SmsChannel,
  partner: PartnerSms | undefined,
  error: unknown,
  log: Log,
): Promise<void> {
  if (error instanceof RateDeferred) {
    // Not an attempt: the provider was never called. Back on the queue for about when the slot comes.
    await transact(deps, async (tx, publish) => {
      await tx.execute(sql`update sms_messages set lease_until = null where id = ${message.id}`);
      publish(sendJob(message.id, message.lane, error.retryAfterMs));
    });
    log.debug({ retryAfterMs: error.retryAfterMs }, "sms waits for its rate slot on the queue");
    return;
  }
  if (!(error instanceof SmsSendError)) {
    // Our own failure (database, bug): the queue retries the job with its backoff.
    await release(deps, message.id, errorText(error));
    throw error;
  }
  const text = error.message.slice(0, 500);
  if (!error.transient) {
    await changeStatus(
      deps,
      message.id,
      "failed",
      sql`last_error = ${text}, finished_at = ${deps.clock.now().toISOString()}::timestamptz,
          attempts = attempts + 1, hold_reason = null`,
      text,
    );
    log.warn({ reason: text }, "sms failed permanently");
    return;
  }
  if (error.retryAfterMs !== undefined) await engine.penalize(message.channel, partner, error.retryAfterMs);

  if (error.unknownOutcome && !channel.dedupesByMessageId) {
    if (!channel.lookup) {
      // Nothing can tell us whether it went out, and a second warning is worse than a missing receipt:
      // record it as submitted without a provider id. A receipt naming our id settles it; else it expires.
      await recordSubmitted(deps, message, null, `outcome unknown (${text}); not re-sent to avoid a double`);
      log.warn({ reason: text }, "sms outcome unknown; not re-sending");
      return;
    }
    await retryLater(
      deps,
      message,
      error,
      `outcome unknown (${text}); will ask the provider before re-sending`,
      {
        holdReason: "outcome_unknown",
      },
    );
    log.warn({ reason: text }, "sms outcome unknown; will look it up before any re-send");
    return;
  }
  const attempts = message.attempts + 1;
  if (attempts >= deps.config.SMS_MAX_ATTEMPTS) {
    const detail = `gave up after ${attempts} attempts: ${text}`;
    await changeStatus(
      deps,
      message.id,
      "failed",
      sql`last_error = ${text}, finished_at = ${deps.clock.now().toISOString()}::timestamptz,
          attempts = attempts + 1, hold_reason = null`,
      detail,
    );
    log.warn({ reason: text, attempts }, "sms failed: retries exhausted");
    return;
  }
  await retryLater(deps, message, error, null, {});
  log.info({ reason: text, attempts }, "sms send failed; will retry");
}

/**
 * Backoff with jitter: attempt n waits between half and all of min(cap, base · 2^(n−1)), and never less
 * than the provider's Retry-After. Urgent starts at a second, bulk at five.
 */
export function retryDelayMs(lane: Message["lane"], attempt: number, retryAfterMs?: number): number {
  const base = lane === "urgent" ? 1_000 : 5_000;
  const ceiling = Math.min(300_000, base * 2 ** Math.max(0, attempt - 1));
  const jittered = ceiling / 2 + (Math.random() * ceiling) / 2;
  return Math.max(jittered, retryAfterMs ?? 0);
}

async function retryLater(
  deps: SendDeps,
  message: Message,
  error: SmsSendError,
  detail: string | null,
  options: { holdReason?: HoldReason },
): Promise<void> {
  const attempt = message.attempts + 1;
  const delayMs = retryDelayMs(message.lane, attempt, error.retryAfterMs);
  const text = error.message.slice(0, 500);
  await transact(deps, async (tx, publish) => {
    await tx.execute(
      sql`with u as (
            update sms_messages
            set lease_until = null, last_error = ${text}, attempts = attempts + 1,
                hold_reason = ${options.holdReason ?? null}
            where id = ${message.id} and ${STILL_QUEUED}
            returning id
          )
          insert into sms_events (message_id, status, detail)
          select id, 'queued', ${detail ?? `attempt ${attempt} failed: ${text}; retry in ${Math.round(delayMs / 1000)} s`}
          from u`,
    );
    publish(sendJob(message.id, message.lane, delayMs));
  });
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
