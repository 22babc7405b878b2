/**
 * dispatch/: from a queued SMS to one the provider took. The domain queues messages (queue-sms.ts); the
 * sms.send consumer runs this pipeline, which claims and records through the message store
 * (message-store.ts, submits.ts), asks the per-process engine (engine.ts) for the channel, the partner's
 * settings, rate and quota, and hands whatever did not go out to the failure policy (failure-policy.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { nextShanghaiMidnight, shanghaiDate } from "../../calendar";
import type { Deps } from "../../deps";
import type { Log } from "../../log";
import { type SmsChannel, SmsSendError, type SmsSendResult } from "../channels/channel";
import { admitBulk, admitBulkMany, type BulkAdmission } from "../counters/bulk-admission";
import { giveBack, perNumberKey } from "../counters/daily-usage";
import { QUOTA_WARN_SHARE } from "../counters/quota-leases";
import { ChannelUnavailable, type PartnerSms, type SmsEngine, smsEngine } from "./engine";
import { handleSendFailure, reconcileUnknown } from "./failure-policy";
import { claim, errorText, hold, type Message, release, suppress, unclaimed } from "./message-store";
import { recordSubmitted } from "./submits";
import { settleTestMessage } from "./test-mode";

export type SendDeps = Pick<Deps, "db" | "pii" | "sms" | "config" | "clock" | "queue">;

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
 *    src/sms/rate/), urgent ahead of bulk.
 * 4. Send, and record the outcome: submitted; failed (permanent); retried later with backoff and jitter
 *    (transient; Retry-After honoured, for this message and, through the limiter, for every sender of the
 *    channel); or, when the outcome is unknown, never blindly re-sent (failure-policy.ts).
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
        // A test key's reminder never reaches a channel, the limiter, the caps or the quota.
        if (message.test) return await settleTestMessage(deps, message, log);
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
  try {
    return await admitBulkMany(deps.db, shanghaiDate(now), requests);
  } catch (error) {
    // The batch is claimed (leased) already. Failing it here left every message leased until the lease ran
    // out, and the queue's one-by-one retry found them "leased by another sender" for that long (a deadlock
    // between two batches stalled 50 reminders for a minute in bench:sms). The statement changed nothing, so
    // each reminder is admitted on its own instead (admitAndSend), as a second one to a number already is.
    ready[0]?.log.warn({ err: error }, "batched SMS admission failed; admitting one by one");
    return new Map();
  }
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
  let goesOut: boolean;
  try {
    goesOut = await admit(deps, engine, ready, admitted, now);
  } catch (error) {
    return releaseAndThrow(deps, message.id, error);
  }
  if (!goesOut) return;

  const scopes = engine.scopes(message.channel, partner);
  let sent: SmsSendResult;
  try {
    sent = await engine.dispatch(message.channel, message.lane, scopes, message.segments, () =>
      channel.send({
        messageId: message.id,
        to: deps.pii.decrypt(message.recipientEnc),
        body: message.body,
        segments: message.segments,
        purpose: message.purpose,
        alertId: message.alertId,
      }),
    );
  } catch (error) {
    const maybeSent = error instanceof SmsSendError && error.unknownOutcome;
    try {
      // What was counted for an SMS that certainly did not go out is given back (its number's count, by
      // claim() for a warning and by admit() for a reminder, and a reminder's partner quota); a maybe-sent
      // one stays counted.
      if (!maybeSent) {
        await giveBack(deps.db, perNumberKey(message.channel, message.recipientHash), day, 1);
        if (message.lane === "bulk" && partner) engine.quotas.giveBack(partner, day, message.segments);
      }
      await handleSendFailure(deps, engine, message, channel, partner, error, smsLog);
    } catch (failure) {
      // Recording the failure failed (the database gone for a moment). Our own failure (`error` rethrown)
      // gave its lease up in handleSendFailure already, and a maybe-sent SMS keeps it.
      if (maybeSent || failure === error) throw failure;
      return releaseAndThrow(deps, message.id, failure);
    }
    return;
  }
  await recordSent(deps, message, sent, smsLog);
  // Every warning is worth a log line; reminders, at hundreds a second, only when debugging.
  const level = message.lane === "urgent" ? "info" : "debug";
  smsLog[level]({ alertId: message.alertId, partnerId: message.partnerId }, "sms submitted");
}

/**
 * For an SMS the provider certainly does not have: gives the lease up if the database lets it, so that the
 * queue's retry sends it, and throws `error`. A lease left to run out would make the SMS outcome unknown
 * (af_claim_sms, migration 0028), and on a channel that can neither be asked nor de-duplicates, never sent.
 */
async function releaseAndThrow(deps: SendDeps, messageId: string, error: unknown): Promise<never> {
  await release(deps, messageId, errorText(error)).catch(() => undefined);
  throw error;
}

/** Waits before each new try of a submit record that failed: the database gone for a moment. */
const RECORD_RETRY_MS = [100, 400, 1_000];

/**
 * The provider has it: records the submit, trying again a few times over a second and a half if the database
 * refuses. What is recorded keeps the provider's id, which the delivery receipt names. If it still fails, the
 * lease is kept, not given up: the queue's retry would send the SMS a second time. Left to run out, it makes
 * the next claim treat the SMS as outcome unknown, sent again only where that cannot text the person twice
 * (af_claim_sms, migration 0028).
 */
async function recordSent(deps: SendDeps, message: Message, sent: SmsSendResult, log: Log): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await recordSubmitted(deps, message, sent.providerMessageId, null);
    } catch (error) {
      const waitMs = RECORD_RETRY_MS[attempt];
      if (waitMs === undefined) {
        log.error(
          { err: error, providerMessageId: sent.providerMessageId },
          "sms went out but its submit was not recorded; its lease is kept",
        );
        throw error;
      }
      log.warn({ err: error, attempt: attempt + 1 }, "sms submit record failed; trying again");
      await sleep(waitMs);
    }
  }
}

/**
 * Step 2: a reminder is suppressed (partner gone, opted out) or held (number at its cap, partner at its
 * quota), or counted toward both; a warning was counted toward its number's cap by claim(). False: the
 * message does not go out now.
 */
async function admit(
  deps: SendDeps,
  engine: SmsEngine,
  ready: Ready,
  admitted: BulkAdmission | undefined,
  now: Date,
): Promise<boolean> {
  const { message, partner, log: smsLog } = ready;
  if (message.lane !== "bulk") return true;
  const numberKey = perNumberKey(message.channel, message.recipientHash);
  const day = shanghaiDate(now);
  if (partnerGone(ready)) {
    await suppress(deps, message, "partner_disabled", smsLog);
    return false;
  }
  const admission =
    admitted ??
    (await admitBulk(deps.db, {
      recipientHash: message.recipientHash,
      day,
      numberKey,
      numberCap: bulkNumberCap(deps, engine, ready),
    }));
  if (admission.optedOut) {
    await suppress(deps, message, "opted_out", smsLog);
    return false;
  }
  if (admission.numberCount === undefined) {
    await hold(deps, message, "per_number_cap", nextShanghaiMidnight(now), smsLog);
    return false;
  }
  if (!partner) return true;
  const quota = await engine.quotas.take(partner, day, message.segments);
  if (!quota) {
    await giveBack(deps.db, numberKey, day, 1);
    smsLog.warn({ partnerId: partner.id, quota: partner.dailyQuota }, "partner daily SMS quota exhausted");
    await hold(deps, message, "quota_exhausted", nextShanghaiMidnight(now), smsLog);
    return false;
  }
  const warnAt = partner.dailyQuota * QUOTA_WARN_SHARE;
  if (quota.used !== undefined && quota.used >= warnAt && quota.used - message.segments < warnAt) {
    smsLog.warn(
      { partnerId: partner.id, used: quota.used, quota: partner.dailyQuota },
      "partner has used 80% of its daily SMS quota",
    );
  }
  return true;
}
