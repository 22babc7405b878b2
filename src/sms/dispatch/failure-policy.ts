import type { Deps } from "../../deps";
import type { Log } from "../../log";
import { type SmsChannel, SmsSendError } from "../channels/channel";
import { RateDeferred } from "../rate/limiter";
import type { PartnerSms, SmsEngine } from "./engine";
import {
  errorText,
  type HoldReason,
  type Message,
  markFailed,
  putBack,
  release,
  scheduleRetry,
} from "./message-store";
import { recordSubmitted } from "./submits";

type PolicyDeps = Pick<Deps, "db" | "clock" | "config" | "queue">;

/**
 * What a send that did not succeed becomes: back on the queue for its rate slot (not an attempt), our own
 * failure retried by the queue, a provider's refusal final, a transient failure retried with backoff and
 * jitter, and an unknown outcome never blindly re-sent (a second warning is worse than a missing receipt).
 */
export async function handleSendFailure(
  deps: PolicyDeps,
  engine: SmsEngine,
  message: Message,
  channel: SmsChannel,
  partner: PartnerSms | undefined,
  error: unknown,
  log: Log,
): Promise<void> {
  if (error instanceof RateDeferred) {
    // Not an attempt: the provider was never called. Back on the queue for about when the slot comes.
    await putBack(deps, message, error.retryAfterMs);
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
    await markFailed(deps, message.id, text, text);
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
      "outcome_unknown",
    );
    log.warn({ reason: text }, "sms outcome unknown; will look it up before any re-send");
    return;
  }
  const attempts = message.attempts + 1;
  if (attempts >= deps.config.SMS_MAX_ATTEMPTS) {
    await markFailed(deps, message.id, text, `gave up after ${attempts} attempts: ${text}`);
    log.warn({ reason: text, attempts }, "sms failed: retries exhausted");
    return;
  }
  await retryLater(deps, message, error, null, null);
  log.info({ reason: text, attempts }, "sms send failed; will retry");
}

/**
 * A message whose last send had an unknown outcome, on a channel that can be asked: ask before sending.
 * Found: it was sent, record it (no second SMS). Not found: it was not, send as usual.
 */
export async function reconcileUnknown(
  deps: Pick<Deps, "db" | "clock">,
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
  deps: PolicyDeps,
  message: Message,
  error: SmsSendError,
  detail: string | null,
  holdReason: HoldReason | null,
): Promise<void> {
  const attempt = message.attempts + 1;
  const delayMs = retryDelayMs(message.lane, attempt, error.retryAfterMs);
  const text = error.message.slice(0, 500);
  await scheduleRetry(deps, message, {
    lastError: text,
    holdReason,
    detail: detail ?? `attempt ${attempt} failed: ${text}; retry in ${Math.round(delayMs / 1000)} s`,
    delayMs,
  });
}
