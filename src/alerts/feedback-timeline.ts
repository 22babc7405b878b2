import type { Tx } from "../db/client";
import { type AlertEventKind, recordAlertEvent } from "./events";

/** Steps of an alert's feedback that the feedback room (src/feedback) reports for the alert's timeline. */
export type FeedbackStep = Extract<
  AlertEventKind,
  "feedback_queued" | "feedback_dead_lettered" | "feedback_redriven"
>;

/**
 * Puts a feedback step on the alert's timeline, in the caller's transaction. Delivery, which can also move
 * the alert to `fed_back`, goes through recordFeedbackDelivered (./fed-back.ts) instead.
 */
export function recordFeedbackStep(
  tx: Tx,
  step: {
    alertId: string;
    kind: FeedbackStep;
    at: Date;
    officerId?: string | null;
    data: Record<string, unknown>;
  },
): Promise<void> {
  return recordAlertEvent(tx, step);
}
