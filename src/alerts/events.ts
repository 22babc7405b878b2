import { sql } from "drizzle-orm";
import type { Executor } from "../db/client";
import { jsonRows } from "../db/json-rows";

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
  | "officer_notice_dropped"
  /** The subject's number cannot take an SMS (not a mainland mobile): officers call or visit instead. */
  | "victim_warning_skipped";

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

/**
 * Several entries in one statement; their ids (the timeline's order) follow the order given. The rows go as
 * one JSON parameter (jsonRows): a push writes hundreds a second.
 */
export async function recordAlertEvents(tx: Executor, events: AlertEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.execute(
    sql`insert into alert_events (alert_id, kind, officer_id, data, at)
        select alert_id, kind, officer_id, data, at
        from ${jsonRows(
          events.map((event) => ({
            alert_id: event.alertId,
            kind: event.kind,
            officer_id: event.officerId ?? null,
            data: event.data ?? null,
            at: event.at.toISOString(),
          })),
          sql`alert_id text, kind text, officer_id text, data jsonb, at timestamptz`,
        )}`,
  );
}
