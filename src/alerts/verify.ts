import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { alerts, posts } from "../../schema";
import type { Principal } from "../auth/sessions";
import { type Db, type Executor, queryRows, type Tx } from "../db/client";
import { Rendered } from "../db/rendered";
import { rowFromDriver } from "../db/rows";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { dutyAt, recipientsOf } from "../organisation/on-duty";
import { type Publish, transact } from "../queue/outbox";
import type { Outgoing } from "../queue/port";
import { queueSms } from "../sms/dispatch/queue-sms";
import { CHANGED_ALERT, type OfficerStep, type ReadAlert, writeOfficerStep } from "./officer-step";
import { officerNotificationText } from "./sms-texts";
import { canSeeAlert } from "./view";
import { decide, type WorkflowAction, type WorkflowState } from "./workflow";

type AlertRow = typeof alerts.$inferSelect;
type VerifyDeps = Pick<Deps, "db" | "queue" | "clock" | "config" | "pii" | "sms">;

/** Distributes Omit over the action union, so each kind keeps its own fields. */
type ActionInput<K extends WorkflowAction["kind"]> = Omit<
  Extract<WorkflowAction, { kind: K }>,
  "kind" | "officerId"
>;

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

/** How many times a step is decided again when only something other than an officer changed the alert. */
const ATTEMPTS = 3;

/**
 * Optimistic concurrency: read the alert, decide, then write only if the row is still the one that was read
 * (writeOfficerStep). If it is not: when version or stage changed, another officer's step won and this one
 * answers 409 CONFLICT, having written nothing; when only something else changed (an escalation, a warning
 * joining the case), the step is decided again on the row as it now is.
 *
 * The write is one statement, its own transaction, except where the step has consequences that are not
 * SQL: a transfer pages the new post, and a queue that is a plain table takes feedback.create as a job. Those
 * run the same statement in a transaction with their own work, which follows only a row the update returned.
 */
async function act(
  deps: VerifyDeps,
  principal: Principal,
  alertId: string,
  action: WorkflowAction,
  via?: "sms_reply",
): Promise<ActionResult> {
  let previous: ReadAlert | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await readForStep(deps.db, alertId);
    assertMayAct(principal, read);
    const { timeline, ...row } = read;
    if (previous && (row.version !== previous.version || row.stage !== previous.stage)) throw conflict();
    if (action.kind === "recordOutcome" && action.transferToPostId !== undefined) {
      await assertPostInStation(deps.db, row.stationId, action.transferToPostId);
    }
    const now = deps.clock.now();
    const decision = decide(deps.config.deadlines, stateOf(row, timeline), action, now);
    if (!decision.changed) return { alert: withoutXmin(row), changed: false };

    const updated = await write(deps, { row, decision, action, principal, now, via });
    if (updated) return { alert: updated, changed: true };
    previous = row;
  }
  throw conflict();
}

const conflict = () =>
  new AppError("CONFLICT", "another officer changed this alert at the same moment; reload and retry");

/** Writes the step (writeOfficerStep) with the messages it publishes; undefined when the row had changed. */
async function write(deps: VerifyDeps, step: OfficerStep): Promise<AlertRow | undefined> {
  const { decision } = step;
  const feedbackCreate: Outgoing = {
    queue: "feedback",
    message: { type: "feedback.create", v: 1, alertId: step.row.id },
  };
  // The feedback room creates the feedback events on this message (src/feedback/create.ts), in this very
  // statement where the runtime has that consumer as SQL (src/local/prompt.ts).
  const prompt = decision.closed
    ? deps.queue.promptStatement?.(feedbackCreate.message, CHANGED_ALERT, step.now)
    : undefined;
  const inTransaction =
    decision.transferredTo !== undefined || (decision.closed && !prompt && deps.queue.transactional);
  if (inTransaction) {
    return transact(deps, async (tx, publish) => {
      const updated = await writeOfficerStep(tx, step);
      if (!updated) return undefined;
      if (decision.closed) publish(feedbackCreate);
      if (decision.transferredTo) await notifyNewPost(deps, tx, publish, updated);
      return updated;
    });
  }
  const updated = await writeOfficerStep(deps.db, step, prompt);
  if (updated && decision.closed) {
    // Committed: wake the feedback workers for the jobs the statement wrote, or send the message (SQS).
    if (prompt) await deps.queue.committed?.([feedbackCreate]);
    else await deps.queue.publish([feedbackCreate]);
  }
  return updated;
}

interface TimelineEntry {
  kind: string;
  data: Record<string, unknown> | null;
  at: Date;
}

/**
 * One statement: the alert with `xmin`, the id of the transaction that last wrote the row (writeOfficerStep),
 * and the timeline entries its workflow state is read from (stateOf), oldest first. Rendered once
 * (src/db/rendered.ts): every step reads first.
 */
const readStatement = new Rendered<undefined>((executor) =>
  executor
    .select({
      ...getTableColumns(alerts),
      xmin: sql`xmin::text`.as("xmin"),
      timeline: sql`(
        select coalesce(jsonb_agg(jsonb_build_object('kind', e.kind, 'data', e.data, 'at', e.at) order by e.id),
                        '[]'::jsonb)
        from alert_events e
        where e.alert_id = alerts.id and e.kind in ('transferred', 'attempt_logged', 'outcome_recorded'))`.as(
        "timeline",
      ),
    })
    .from(alerts)
    .where(eq(alerts.id, sql.placeholder("alertId")))
    .getSQL(),
);

async function readForStep(db: Db, alertId: string) {
  const [raw] = await queryRows<Record<string, unknown>>(db, readStatement.sql(db, undefined, { alertId }));
  if (!raw) return undefined;
  return { ...rowFromDriver(alerts, raw), xmin: String(raw.xmin), timeline: timelineOf(raw.timeline) };
}

function timelineOf(value: unknown): TimelineEntry[] {
  // Text from postgres.js (drizzle leaves JSON undecoded there), already decoded from PGlite.
  const entries = (typeof value === "string" ? JSON.parse(value) : value) as {
    kind: string;
    data: Record<string, unknown> | null;
    at: string;
  }[];
  return entries.map((e) => ({ ...e, at: new Date(e.at) }));
}

function withoutXmin({ xmin: _, ...row }: ReadAlert): AlertRow {
  return row;
}

async function assertPostInStation(tx: Executor, stationId: string, postId: string) {
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

/**
 * The workflow state of a row. Transfer time, contact and the visit clock are not columns: they are read
 * back from the alert's own timeline (append-only, so it cannot disagree with what happened).
 */
function stateOf(row: AlertRow, events: TimelineEntry[]): WorkflowState {
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
