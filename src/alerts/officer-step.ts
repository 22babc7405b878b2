import { and, eq, type SQL, sql } from "drizzle-orm";
import { alerts } from "../../schema";
import type { Principal } from "../auth/sessions";
import { type Executor, queryRows } from "../db/client";
import { boundColumns, Rendered } from "../db/rendered";
import { rowFromDriver } from "../db/rows";
import { newId } from "../ids";
import type { PromptStatement } from "../queue/port";
import type { Decision, WorkflowAction } from "./workflow";
import { chainAfterOfficerStep } from "./workflow-system";

type AlertRow = typeof alerts.$inferSelect;

/** The alert as an officer step read it: `xmin` tells whether anything wrote the row since (see below). */
export type ReadAlert = AlertRow & { xmin: string };

const AUDIT_ACTIONS = {
  acknowledge: "alert.acknowledged",
  logAttempt: "alert.attempt_logged",
  recordOutcome: "alert.outcome_recorded",
} as const satisfies Record<WorkflowAction["kind"], string>;

/** The CTE holding the alert row as the step's UPDATE returned it; a prompt statement reads it from there. */
export const CHANGED_ALERT = sql.raw("changed");

export interface OfficerStep {
  row: ReadAlert;
  decision: Extract<Decision, { changed: true }>;
  action: WorkflowAction;
  principal: Principal;
  now: Date;
  via?: "sms_reply";
}

/**
 * Everything an officer's step writes, as one statement: the conditional update of the alert, its timeline
 * entries, the audit entry, a contact attempt, and `prompt` (the feedback the local runtime creates with the
 * outcome, src/local/prompt.ts). Run on its own it is its own transaction: one round trip and one commit for
 * what took eleven statements in a transaction.
 *
 * The update matches only the row that was read: same version and stage (the optimistic concurrency of
 * verify.ts) and same `xmin`, the id of the transaction that last wrote it. One statement sees the database
 * as it was when it began, so what it reads besides the alert (the warnings the feedback goes to) would be
 * stale if another transaction changed the alert while this one waited for its lock; a write that leaves
 * version and stage alone (an escalation, a warning joining the case, src/alerts/intake.ts) still changes
 * `xmin`, and then nothing matches. Every other part of the statement writes only for a row the update
 * returned, so a statement that matched nothing wrote nothing. Returns the updated alert, or undefined then.
 */
export async function writeOfficerStep(
  executor: Executor,
  step: OfficerStep,
  prompt?: PromptStatement,
): Promise<AlertRow | undefined> {
  const changed = CHANGED_ALERT;
  const ctes: SQL[] = [
    sql`changed as (${updateAlert(executor, step)})`,
    ...(prompt?.ctes ?? []),
    sql`changed_timeline as (${timeline(step, changed, prompt?.timeline)})`,
    sql`changed_audit as (${audit(step, changed)})`,
    ...(step.action.kind === "logAttempt" ? [sql`changed_attempt as (${attempt(step, changed)})`] : []),
  ];
  const [raw] = await queryRows<Record<string, unknown>>(
    executor,
    sql`with ${sql.join(ctes, sql`, `)} select * from ${changed}`,
  );
  return raw ? rowFromDriver(alerts, raw) : undefined;
}

/**
 * The conditional update of the alert, rendered once for each set of columns it writes (src/db/rendered.ts).
 * The `where` values are named `read*`: the row as the step read it.
 */
const alertUpdate = new Rendered<{ columns: string[] }>((executor, { columns }) =>
  executor
    .update(alerts)
    .set(boundColumns(alerts, columns))
    .where(
      and(
        eq(alerts.id, sql.placeholder("readId")),
        eq(alerts.version, sql.placeholder("readVersion")),
        eq(alerts.stage, sql.placeholder("readStage")),
        sql`xmin = ${sql.placeholder("readXmin")}::text::xid`,
      ),
    )
    .returning()
    .getSQL(),
);

function updateAlert(executor: Executor, { row, decision }: OfficerStep): SQL {
  const s = decision.state;
  const chain = chainAfterOfficerStep(row, s, decision.transferredTo !== undefined);
  const set: Partial<AlertRow> = {
    stage: s.stage,
    postId: s.postId,
    ...(decision.transferredTo ? { routedBy: "transfer" as const } : {}),
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
  };
  return alertUpdate.sql(
    executor,
    { columns: Object.keys(set) },
    { ...set, readId: row.id, readVersion: row.version, readStage: row.stage, readXmin: row.xmin },
  );
}

/** The step's entries, then those of `more` (the feedback queued), in that order on the timeline. */
function timeline({ decision, principal, now }: OfficerStep, changed: SQL, more?: SQL) {
  const events = JSON.stringify(decision.events.map((e) => ({ kind: e.kind, data: e.data })));
  const at = sql`${now.toISOString()}::timestamptz`;
  return sql`insert into alert_events (alert_id, kind, at, officer_id, data)
    select alert_id, kind, at, officer_id, data from (
      select c.id as alert_id, e.value->>'kind' as kind, ${at} as at, ${principal.officerId}::text as officer_id,
             e.value->'data' as data, 0 as part, e.n
      from ${changed} c cross join jsonb_array_elements(${events}::jsonb) with ordinality as e(value, n)
      ${more ? sql`union all select *, 1, row_number() over () from (${more}) m` : sql``}
    ) entries order by part, n`;
}

function audit({ row, decision, action, principal, now, via }: OfficerStep, changed: SQL) {
  const data = {
    ...(action.kind === "logAttempt" ? { channel: action.channel, reached: action.reached } : {}),
    ...(action.kind === "recordOutcome" ? { outcome: action.outcome } : {}),
    ...(decision.transferredTo ? { fromPostId: row.postId, toPostId: decision.transferredTo } : {}),
    ...(via ? { via } : {}),
  };
  return sql`insert into audit_log (station_id, officer_id, action, target_type, target_id, reason, data, at)
    select c.station_id, ${principal.officerId}::text, ${AUDIT_ACTIONS[action.kind]}::text, 'alert', c.id, null,
           jsonb_build_object('stage', c.stage, 'version', c.version) || ${JSON.stringify(data)}::jsonb,
           ${now.toISOString()}::timestamptz
    from ${changed} c`;
}

function attempt({ action, principal, now }: OfficerStep, changed: SQL) {
  if (action.kind !== "logAttempt") throw new Error("only a logged attempt writes a contact attempt");
  return sql`insert into contact_attempts (id, alert_id, officer_id, channel, reached, note, at)
    select ${newId("contactAttempt")}::text, c.id, ${principal.officerId}::text, ${action.channel}::text,
           ${action.reached}::boolean, ${action.note ?? null}::text, ${now.toISOString()}::timestamptz
    from ${changed} c`;
}
