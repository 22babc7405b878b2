import { alertEvents } from "../../schema";
import type { Executor } from "../db/client";

/** Timeline entries. Stage times live on the alert; these record each action and who took it. */
export type AlertEventKind =
  | "pushed"
  | "warning_linked"
  | "acknowledged"
  | "attempt_logged"
  | "outcome_recorded"
  | "transferred"
  | "escalated"
  | "phone_revealed"
  | "feedback_queued"
  | "feedback_delivered"
  | "feedback_dead_lettered"
  | "feedback_redriven"
  /** The sweeper re-published a lost push (the alert sat in `received`). */
  | "push_redriven"
  /** An officer's notice was not sent: its alert was acknowledged, closed or transferred first. */
  | "officer_notice_dropped";

export interface AlertEventInput {
  alertId: string;
  kind: AlertEventKind;
  at: Date;
  officerId?: string | null;
  data?: Record<string, unknown>;
}

export function recordAlertEvent(tx: Executor, event: AlertEventInput): Promise<void> {
  return recordAlertEvents(tx, [event]);
}

/** Several entries in one statement; their ids (the timeline's order) follow the order given. */
export async function recordAlertEvents(tx: Executor, events: AlertEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(alertEvents).values(
    events.map((event) => ({
      alertId: event.alertId,
      kind: event.kind,
      at: event.at,
      officerId: event.officerId ?? null,
      data: event.data ?? null,
    })),
  );
}
