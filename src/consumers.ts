import { notifyOfficer } from "./alerts/officer-notify";
import { pushAlert, pushAlerts } from "./alerts/push";
import { rewarnSubject } from "./alerts/rewarn";
import type { Deps } from "./deps";
import { createFeedbackForOutcome, createFeedbackInTransaction } from "./feedback/create";
import { feedbackCreationSql } from "./feedback/create-statement";
import { deliverFeedback, deliverFeedbackBatch } from "./feedback/deliver";
import { deliverCallbacks, kickCallbacks } from "./message-events/deliver";
import { releaseDeferredReminders } from "./parcels/release";
import type { MessageContext, MessageHandler } from "./queue/batch";
import type { PromptHandler, PromptSql } from "./queue/pg-queue";
import { sendSms, sendSmsBatch } from "./sms/dispatch/send";
import { runSweep } from "./sweeper/sweep";

/** One handler for every message type: the local workers and the Lambdas both call this. */
export function messageHandler(deps: Deps): MessageHandler {
  const handle: MessageHandler = async (message, ctx) => {
    switch (message.type) {
      case "alert.push":
        return pushAlert(deps, message.alertId, ctx.log, message.traceId);
      case "alert.rewarn":
        return rewarnSubject(deps, message, ctx.log);
      case "officer.notify":
        return notifyOfficer(deps, message, ctx.log);
      case "sms.send":
        return sendSms(deps, message.messageId, ctx.log);
      case "feedback.create":
        return createFeedbackForOutcome(deps, message, ctx.log);
      case "feedback.deliver":
        await deliverFeedback(deps, message, ctx.log);
        return;
      case "sweep.run":
        await runSweep(deps, ctx.log);
        return;
      case "parcels.release":
        await releaseDeferredReminders(deps, ctx.log, {
          traceId: message.traceId,
          perSecond: deps.config.REMINDER_RELEASE_PER_SECOND,
          signal: ctx.signal,
        });
        return;
      case "partner-callbacks.deliver":
        await deliverCallbacks(deps, message.partnerId, ctx.log);
        return;
      case "partner-callbacks.tick":
        await kickCallbacks(deps, ctx.log);
        return;
      default: {
        // A message type added to src/queue/messages.ts without a consumer fails to type-check here.
        const unhandled: never = message;
        throw new Error(`no consumer for ${(unhandled as { type: string }).type}`);
      }
    }
  };
  // Pushes of one batch share a transaction (src/alerts/push.ts): a dozen round trips per batch, not per alert.
  // SMS of one batch are claimed and admitted with one statement each (src/sms/dispatch/send.ts).
  // Feedback callbacks of one batch are claimed, POSTed together and settled in one transaction
  // (src/feedback/deliver.ts); each message keeps its own outcome, so one failing receiver fails alone.
  handle.groups = {
    "feedback.deliver": async (items) => {
      const requests = items.flatMap(({ message, ctx }) =>
        message.type === "feedback.deliver" ? [{ message, log: ctx.log, job: ctx.messageId }] : [],
      );
      const outcomes = await deliverFeedbackBatch(deps, requests);
      return {
        failed: requests.flatMap((request, i) => {
          const outcome = outcomes[i];
          return outcome && "error" in outcome ? [{ messageId: request.job, error: outcome.error }] : [];
        }),
      };
    },
    "sms.send": async (items) => {
      const sends = items.flatMap(({ message, ctx }) =>
        message.type === "sms.send"
          ? [{ messageId: message.messageId, log: ctx.log, job: ctx.messageId }]
          : [],
      );
      const errors = await sendSmsBatch(deps, sends);
      return {
        failed: sends.flatMap((s) =>
          errors.has(s.messageId) ? [{ messageId: s.job, error: errors.get(s.messageId) }] : [],
        ),
      };
    },
    // One flush per officer: a flush sends everything pending for its officer, and every message here was
    // published by a committed push, so the first flush covers the rest. Flushing each message on its own
    // made a burst at one post queue its flushes on the officer's lock, each holding a pooled connection
    // that pushes were waiting for.
    "officer.notify": async (items) => {
      const flushes = new Map<string, { traceId?: string; log: MessageContext["log"]; jobs: string[] }>();
      for (const { message, ctx } of items) {
        if (message.type !== "officer.notify") continue;
        const flush = flushes.get(message.officerId);
        if (flush) flush.jobs.push(ctx.messageId);
        else
          flushes.set(message.officerId, { traceId: message.traceId, log: ctx.log, jobs: [ctx.messageId] });
      }
      const failed: { messageId: string; error: unknown }[] = [];
      await Promise.all(
        [...flushes].map(async ([officerId, { traceId, log, jobs }]) => {
          try {
            await notifyOfficer(deps, { officerId, traceId }, log);
          } catch (error) {
            failed.push(...jobs.map((messageId) => ({ messageId, error })));
          }
        }),
      );
      return { failed };
    },
    "alert.push": async (items) => {
      await pushAlerts(
        deps,
        items.flatMap(({ message, ctx }) =>
          message.type === "alert.push"
            ? [{ alertId: message.alertId, traceId: message.traceId, log: ctx.log }]
            : [],
        ),
      );
      return { failed: [] };
    },
  };
  return handle;
}

/**
 * The consumers of the prompt messages (PROMPT_MESSAGES, src/topology.ts) as they run inside the publishing
 * transaction in the local runtime (src/local/prompt.ts): the same work as their queue consumers above.
 */
export function promptHandler(deps: Deps): PromptHandler {
  return async (tx, message, publish) => {
    const log = deps.log.child({ type: message.type, traceId: message.traceId });
    switch (message.type) {
      case "feedback.create":
        return createFeedbackInTransaction(tx, publish, message, deps.clock.now(), log);
      default: {
        const unhandled: never = message.type;
        throw new Error(`no prompt consumer for ${String(unhandled)}`);
      }
    }
  };
}

/** promptHandler's work as SQL, for a use case that makes its whole change in one statement. */
export const promptSql: PromptSql = (message, changed, now) => {
  switch (message.type) {
    case "feedback.create": {
      const { ctes, timeline, deliveries } = feedbackCreationSql(changed, now);
      return { ctes, timeline, jobs: deliveries };
    }
    default: {
      const unhandled: never = message.type;
      throw new Error(`no prompt consumer for ${String(unhandled)}`);
    }
  }
};
