import { and, asc, eq, inArray } from "drizzle-orm";
import { alertEvents, alerts, contactAttempts, posts } from "../../schema";
import { writeAudit } from "../audit/log";
import type { Principal } from "../auth/sessions";
import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { newId } from "../ids";
import { dutyAt, recipientsOf } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import { queueSms } from "../sms/dispatch/queue-sms";
import { recordAlertEvents } from "./events";
import { officerNotificationText } from "./sms-texts";
import { canSeeAlert } from "./view";
import { type Decision, decide, type WorkflowAction, type WorkflowState } from "./workflow";
import { chainAfterOfficerStep } from "./workflow-system";

type AlertRow = typeof alerts.$inferSelect;
type VerifyDeps = Pick<Deps, "db" | "queue" | "clock" | "config" | "pii" | "sms">;

/** Distributes Omit over the action union, so each kind keeps its own fields. */
type ActionInput<K extends WorkflowAction["kind"]> = Omit<
  Extract<WorkflowAction, { kind: K }>,
  "kind" | "officerId"
>;

const AUDIT_ACTIONS = {
  acknowledge: "alert.acknowledged",
  logAttempt: "alert.attempt_logged",
  recordOutcome: "alert.outcome_recorded",
} as const satisfies Record<WorkflowAction["kind"], string>;

export interface ActionResult {
  alert: AlertRow;
  /** False when the request repeated something already done: the alert is returned unchanged. */
  changed: boolean;
}

/**
 * 签收: the officer claims the alert; the contact clock starts to matter. `via` is recorded in the audit
 * entry when the claim did not come from the console or API (an SMS reply, src/alerts/acknowledge-by-reply.ts).
 */
export function acknowledgeAlert(
  deps: VerifyDeps,
  principal: Principal,
  alertId: string,
  input: ActionInput<"acknowledge"> = {},
  via?: "sms_reply",
): Promise<ActionResult> {
  return act(
    deps,
    principal,
    alertId,
    { kind: "acknowledge", officerId: principal.officerId, ...input },
    via,
  );
}

/** A call, SMS or visit, reached or not. A missed call on a critical or high alert makes a visit owed. */
export function logContactAttempt(
  deps: VerifyDeps,
  principal: Principal,
  alertId: string,
  input: ActionInput<"logAttempt">,
): Promise<ActionResult> {
  return act(deps, principal, alertId, { kind: "logAttempt", officerId: principal.officerId, ...input });
}

/** A final outcome closes the alert and asks for its feedback; the others keep it open (see workflow.ts). */
export function recordOutcome(
  deps: VerifyDeps,
  principal: Principal,
  alertId: string,
  input: ActionInput<"recordOutcome">,
): Promise<ActionResult> {
  return act(deps, principal, alertId, { kind: "recordOutcome", officerId: principal.officerId, ...input });
}

/** The alert as the caller may act on it, or the 404/403 that hides or refuses it. */
export function assertMayAct(principal: Principal, alert: AlertRow | undefined): asserts alert is AlertRow {
  // 404 rather than 403: an officer of another post must not learn that the alert exists.
  if (!alert || !canSeeAlert(principal, alert)) throw new AppError("ALERT_NOT_FOUND", "no such alert");
  if (principal.role === "admin") {
    throw new AppError("FORBIDDEN", "admins configure the system; officers and supervisors handle alerts");
  }
}

/**
 * Optimistic concurrency: read the alert, decide, then update only if (id, version, stage) are still what
 * was read. A concurrent winner bumped the version, so the loser's update matches no row and its whole
 * transaction (attempt, events, audit, the feedback message) rolls back: 409, never a mixed record.
 */
async function act(
  deps: VerifyDeps,
  principal: Principal,
  alertId: string,
  action: WorkflowAction,
  via?: "sms_reply",
): Promise<ActionResult> {
  return transact(deps, async (tx, publish) => {
    // Independent statements of one transaction are issued together: the driver pipelines them on the
    // transaction's connection, one round trip for the lot instead of one each.
    const [[row], timeline] = await Promise.all([
      tx.select().from(alerts).where(eq(alerts.id, alertId)),
      readTimeline(tx, alertId),
    ]);
    assertMayAct(principal, row);
    if (action.kind === "recordOutcome" && action.transferToPostId !== undefined) {
      await assertPostInStation(tx, row.stationId, action.transferToPostId);
    }
    const now = deps.clock.now();
    const decision = decide(deps.config.deadlines, stateOf(row, timeline), action, now);
    if (!decision.changed) return { alert: row, changed: false };

    const updated = await applyDecision(tx, row, decision);
    await Promise.all([
      recordAlertEvents(
        tx,
        decision.events.map((event) => ({
          alertId,
          kind: event.kind,
          at: now,
          officerId: principal.officerId,
          data: event.data,
        })),
      ),
      action.kind === "logAttempt"
        ? tx.insert(contactAttempts).values({
            id: newId("contactAttempt"),
            alertId,
            officerId: principal.officerId,
            channel: action.channel,
            reached: action.reached,
            note: action.note ?? null,
            at: now,
          })
        : undefined,
      writeAudit(tx, {
        stationId: row.stationId,
        officerId: principal.officerId,
        action: AUDIT_ACTIONS[action.kind],
        targetType: "alert",
        targetId: alertId,
        data: {
          stage: updated.stage,
          version: updated.version,
          ...(action.kind === "logAttempt" ? { channel: action.channel, reached: action.reached } : {}),
          ...(action.kind === "recordOutcome" ? { outcome: action.outcome } : {}),
          ...(decision.transferredTo ? { fromPostId: row.postId, toPostId: decision.transferredTo } : {}),
          ...(via ? { via } : {}),
        },
        at: now,
      }),
    ]);
    // The feedback room creates the feedback events on this message (src/feedback/create.ts).
    if (decision.closed) {
      publish({ queue: "feedback", message: { type: "feedback.create", v: 1, alertId } });
    }
    if (decision.transferredTo) await notifyNewPost(deps, tx, publish, updated);
    return { alert: updated, changed: true };
  });
}

async function assertPostInStation(tx: Tx, stationId: string, postId: string) {
  const [post] = await tx
    .select({ id: posts.id, disabledAt: posts.disabledAt })
    .from(posts)
    .where(and(eq(posts.id, postId), eq(posts.stationId, stationId)));
  if (!post) {
    throw new AppError("VALIDATION_FAILED", "no such post at this station", [
      { path: "transferToPostId", message: "must be a post of the alert's station" },
    ]);
  }
  // A disabled post takes no new alerts (src/organisation/jurisdiction.ts).
  if (post.disabledAt) {
    throw new AppError("VALIDATION_FAILED", "that post is disabled", [
      { path: "transferToPostId", message: "the post is disabled and takes no new alerts" },
    ]);
  }
}

async function applyDecision(
  tx: Tx,
  row: AlertRow,
  decision: Extract<Decision, { changed: true }>,
): Promise<AlertRow> {
  const s = decision.state;
  const chain = chainAfterOfficerStep(row, s, decision.transferredTo !== undefined);
  const [updated] = await tx
    .update(alerts)
    .set({
      stage: s.stage,
      postId: s.postId,
      ...(decision.transferredTo ? { routedBy: "transfer" } : {}),
      acknowledgedAt: s.acknowledgedAt,
      acknowledgedBy: s.acknowledgedBy,
      outcome: s.outcome,
      outcomeNote: s.outcomeNote,
      amountProtected: s.amountProtected,
      amountLost: s.amountLost,
      verifiedAt: s.verifiedAt,
      verifiedBy: s.verifiedBy,
      visitRequired: s.visitOwedSince !== null,
      ...(chain ?? {}),
      version: s.version,
    })
    .where(and(eq(alerts.id, row.id), eq(alerts.version, row.version), eq(alerts.stage, row.stage)))
    .returning();
  if (!updated) {
    throw new AppError("CONFLICT", "another officer changed this alert at the same moment; reload and retry");
  }
  return updated;
}

/** The timeline entries the workflow state is read from (stateOf), oldest first. */
function readTimeline(tx: Tx, alertId: string) {
  return tx
    .select({ kind: alertEvents.kind, data: alertEvents.data, at: alertEvents.at })
    .from(alertEvents)
    .where(
      and(
        eq(alertEvents.alertId, alertId),
        inArray(alertEvents.kind, ["transferred", "attempt_logged", "outcome_recorded"]),
      ),
    )
    .orderBy(asc(alertEvents.id));
}

/**
 * The workflow state of a row. Transfer time, contact and the visit clock are not columns: they are read
 * back from the alert's own timeline (append-only, so it cannot disagree with what happened).
 */
function stateOf(row: AlertRow, events: Awaited<ReturnType<typeof readTimeline>>): WorkflowState {
  let assignedAt = row.receivedAt;
  let contacted = false;
  let visitOpenedAt: Date | null = null;
  for (const event of events) {
    if (event.kind === "transferred") {
      assignedAt = event.at;
      contacted = false;
      visitOpenedAt = null;
    }
    if (event.kind === "attempt_logged") contacted = true;
    if (event.data?.visitOpened === true) visitOpenedAt = event.at;
  }
  return {
    stage: row.stage,
    riskLevel: row.riskLevel,
    postId: row.postId,
    receivedAt: row.receivedAt,
    assignedAt,
    acknowledgedAt: row.acknowledgedAt,
    acknowledgedBy: row.acknowledgedBy,
    contacted,
    // A visit flagged by another path (no opening event) runs from the claim at the latest.
    visitOwedSince: row.visitRequired ? (visitOpenedAt ?? row.acknowledgedAt ?? row.receivedAt) : null,
    outcome: row.outcome,
    outcomeNote: row.outcomeNote,
    amountProtected: row.amountProtected,
    amountLost: row.amountLost,
    verifiedAt: row.verifiedAt,
    verifiedBy: row.verifiedBy,
    deadlineKind: row.deadlineKind,
    deadlineAt: row.deadlineAt,
    version: row.version,
  };
}

/** The new post's on-duty officers hear about a transferred alert as they would about a new one. */
async function notifyNewPost(deps: VerifyDeps, tx: Tx, publish: Publish, alert: AlertRow) {
  if (!alert.postId) return;
  const onDuty = recipientsOf(
    await dutyAt(tx, [alert.postId], deps.clock.now(), { reachable: true }),
    alert.postId,
  );
  await queueSms(
    deps,
    tx,
    publish,
    onDuty.map((o) => ({
      purpose: "officer_notification" as const,
      lane: "urgent" as const,
      to: deps.pii.decrypt(o.phoneEnc as string),
      body: officerNotificationText(deps.config.SMS_SIGNATURE, alert, deps.config.BASE_URL),
      alertId: alert.id,
      // One notification per transfer: the version identifies this transfer among any others.
      dedupeKey: `${alert.id}:transfer:${alert.version}`,
    })),
  );
}
