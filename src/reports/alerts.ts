import { type SQL, sql } from "drizzle-orm";
import { ALERT_STAGES, OUTCOMES, RISK_LEVELS, WARNING_TYPES } from "../../schema";
import type { DeadlinePolicy } from "../alerts/deadlines";
import { queryRows } from "../db/client";
import type { Deps } from "../deps";
import { csvDocument } from "./csv";

/**
 * The alert report a supervisor reads: what came in, how fast each stage was reached, whether the deadlines
 * were kept, and the money protected and lost. Alerts are selected by when they were received, within the
 * station (and post, if given); stage figures describe those alerts as they are now.
 */
export interface AlertsReportQuery {
  stationId: string;
  /** Null: the whole station. */
  postId: string | null;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface Percentiles {
  /** Alerts that reached the stage (the population of the percentiles). */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface Compliance {
  met: number;
  missed: number;
  /** met / (met + missed); null when no alert's deadline has been decided yet. */
  rate: number | null;
}

export interface AlertsReport {
  from: string;
  to: string;
  postId: string | null;
  generatedAt: string;
  total: number;
  counts: {
    stage: Record<string, number>;
    type: Record<string, number>;
    riskLevel: Record<string, number>;
    /** `none`: no outcome recorded yet. */
    outcome: Record<string, number>;
  };
  /** From receipt (the deadlines' clock) to each stage. */
  durations: {
    timeToPush: Percentiles;
    timeToAcknowledge: Percentiles;
    timeToVerify: Percentiles;
    timeToFeedback: Percentiles;
  };
  deadlineCompliance: {
    acknowledge: Compliance;
    contact: Compliance;
    visit: Compliance;
    feedback: Compliance;
  };
  /** Sums in fen. */
  amounts: { protected: number; lost: number };
}

const zeros = (keys: readonly string[]): Record<string, number> =>
  Object.fromEntries(keys.map((k) => [k, 0]));
const toNumber = (v: number | string | null) => (v === null ? null : Number(v));
const round = (v: number | null, places: number) =>
  v === null ? null : Math.round(v * 10 ** places) / 10 ** places;

/** The deadline policy as a table to join on risk level; minutes may be fractional, null = not owed. */
function policyTable(policy: DeadlinePolicy): SQL {
  const rows = RISK_LEVELS.map((level) => {
    const p = policy[level];
    const feedbackMinutes = p.feedbackMinutes === "end_of_day" ? null : p.feedbackMinutes;
    return sql`(${level}::text, ${p.acknowledgeMinutes}::float8, ${p.contactMinutes}::float8,
                ${p.visitMinutes}::float8, ${feedbackMinutes}::float8, ${p.feedbackMinutes === "end_of_day"}::boolean)`;
  });
  return sql`(values ${sql.join(rows, sql`, `)})
    as policy(risk_level, ack_min, contact_min, visit_min, feedback_min, feedback_eod)`;
}

export async function alertsReport(
  deps: Pick<Deps, "db" | "clock" | "config">,
  query: AlertsReportQuery,
): Promise<AlertsReport> {
  const now = deps.clock.now();
  const scope = sql`a.station_id = ${query.stationId}
    and a.received_at >= ${query.from.toISOString()}::timestamptz
    and a.received_at < ${query.to.toISOString()}::timestamptz
    ${query.postId ? sql`and a.post_id = ${query.postId}` : sql``}`;
  const seconds = (column: string) => sql.raw(`extract(epoch from a.${column} - a.received_at)::float8`);
  const percentiles = (column: string, name: string) => sql`
    count(a.${sql.raw(column)})::int as ${sql.raw(`${name}_n`)},
    percentile_cont(0.5) within group (order by ${seconds(column)}) filter (where a.${sql.raw(column)} is not null)
      as ${sql.raw(`${name}_p50`)},
    percentile_cont(0.9) within group (order by ${seconds(column)}) filter (where a.${sql.raw(column)} is not null)
      as ${sql.raw(`${name}_p90`)}`;

  const [groups, [summary], [compliance], [visits]] = await Promise.all([
    queryRows<{ dimension: string; key: string | null; n: number }>(
      deps.db,
      sql`select case when grouping(a.stage) = 0 then 'stage'
                      when grouping(a.type) = 0 then 'type'
                      when grouping(a.risk_level) = 0 then 'risk_level'
                      else 'outcome' end as dimension,
                 coalesce(a.stage, a.type, a.risk_level, a.outcome) as key,
                 count(*)::int as n
          from alerts a where ${scope}
          group by grouping sets ((a.stage), (a.type), (a.risk_level), (a.outcome))`,
    ),
    queryRows<Record<string, number | string | null>>(
      deps.db,
      sql`select count(*)::int as total,
                 ${percentiles("pushed_at", "push")},
                 ${percentiles("acknowledged_at", "ack")},
                 ${percentiles("verified_at", "verify")},
                 ${percentiles("fed_back_at", "feedback")},
                 coalesce(sum(a.amount_protected), 0)::float8 as protected,
                 coalesce(sum(a.amount_lost), 0)::float8 as lost
          from alerts a where ${scope}`,
    ),
    // A deadline counts once it is decided: the stage was reached (in time or late), or the deadline passed
    // without it. Alerts still inside their deadline are left out. Deadlines run from receipt, at the alert's
    // current risk level; the feedback deadline is met by recording the final outcome (verified).
    queryRows<Record<string, number>>(
      deps.db,
      sql`with d as (
            select a.acknowledged_at, coalesce(a.verified_at, a.fed_back_at) as closed_at,
                   (select min(c.at) from contact_attempts c where c.alert_id = a.id) as contacted_at,
                   a.received_at + policy.ack_min * interval '1 minute' as ack_due,
                   a.received_at + policy.contact_min * interval '1 minute' as contact_due,
                   case when policy.feedback_eod
                        then to_timestamp((floor((extract(epoch from a.received_at) + 28800) / 86400) + 1) * 86400 - 28800)
                        else a.received_at + policy.feedback_min * interval '1 minute' end as feedback_due
            from alerts a join ${policyTable(deps.config.deadlines)} on policy.risk_level = a.risk_level
            where ${scope}
          )
          select
            count(*) filter (where acknowledged_at <= ack_due)::int as ack_met,
            count(*) filter (where acknowledged_at > ack_due
                               or (acknowledged_at is null and ack_due < ${now.toISOString()}::timestamptz))::int as ack_missed,
            count(*) filter (where contact_due is not null and contacted_at <= contact_due)::int as contact_met,
            count(*) filter (where contact_due is not null and (contacted_at > contact_due
                               or (contacted_at is null and contact_due < ${now.toISOString()}::timestamptz)))::int
              as contact_missed,
            count(*) filter (where closed_at <= feedback_due)::int as feedback_met,
            count(*) filter (where closed_at > feedback_due
                               or (closed_at is null and feedback_due < ${now.toISOString()}::timestamptz))::int
              as feedback_missed
          from d`,
    ),
    // Each visit owed (an event with visitOpened) is due visitMinutes later, at the alert's current risk level.
    // It is met by the first of: the visit done (visitDone), the case closed (a final outcome makes it moot),
    // or the alert transferred (the new post's clock starts afresh) — if that came by the due time.
    queryRows<Record<string, number>>(
      deps.db,
      sql`with v as (
            select e.at + policy.visit_min * interval '1 minute' as due,
                   least(a.verified_at, (
                     select min(x.at) from alert_events x
                     where x.alert_id = e.alert_id and x.id > e.id
                       and (x.data->>'visitDone' = 'true' or x.kind = 'transferred'))) as resolved_at
            from alerts a
            join alert_events e on e.alert_id = a.id and e.data->>'visitOpened' = 'true'
            join ${policyTable(deps.config.deadlines)} on policy.risk_level = a.risk_level
            where ${scope} and policy.visit_min is not null
          )
          select
            count(*) filter (where resolved_at <= due)::int as visit_met,
            count(*) filter (where resolved_at > due
                               or (resolved_at is null and due < ${now.toISOString()}::timestamptz))::int
              as visit_missed
          from v`,
    ),
  ]);

  const counts: AlertsReport["counts"] = {
    stage: zeros(ALERT_STAGES),
    type: zeros(WARNING_TYPES),
    riskLevel: zeros(RISK_LEVELS),
    outcome: { ...zeros(OUTCOMES), none: 0 },
  };
  const bucketOf = {
    stage: counts.stage,
    type: counts.type,
    risk_level: counts.riskLevel,
    outcome: counts.outcome,
  };
  for (const g of groups) {
    const bucket = bucketOf[g.dimension as keyof typeof bucketOf];
    const key = g.key ?? "none";
    bucket[key] = (bucket[key] ?? 0) + Number(g.n);
  }

  const s = summary ?? {};
  const pct = (name: string): Percentiles => ({
    count: Number(s[`${name}_n`] ?? 0),
    medianSeconds: round(toNumber(s[`${name}_p50`] ?? null), 1),
    p90Seconds: round(toNumber(s[`${name}_p90`] ?? null), 1),
  });
  const c = { ...compliance, ...visits };
  const share = (name: string): Compliance => {
    const met = Number(c[`${name}_met`] ?? 0);
    const missed = Number(c[`${name}_missed`] ?? 0);
    return { met, missed, rate: met + missed === 0 ? null : round(met / (met + missed), 4) };
  };

  return {
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    postId: query.postId,
    generatedAt: now.toISOString(),
    total: Number(s.total ?? 0),
    counts,
    durations: {
      timeToPush: pct("push"),
      timeToAcknowledge: pct("ack"),
      timeToVerify: pct("verify"),
      timeToFeedback: pct("feedback"),
    },
    deadlineCompliance: {
      acknowledge: share("ack"),
      contact: share("contact"),
      visit: share("visit"),
      feedback: share("feedback"),
    },
    amounts: { protected: Number(s.protected ?? 0), lost: Number(s.lost ?? 0) },
  };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** One figure per row (section, key, value), so the columns never change as figures are added. */
export function alertsReportCsv(report: AlertsReport): string {
  const rows: (string | number | null)[][] = [
    ["report", "from", report.from],
    ["report", "to", report.to],
    ["report", "post_id", report.postId],
    ["report", "generated_at", report.generatedAt],
    ["report", "total", report.total],
  ];
  for (const [section, counts] of Object.entries(report.counts)) {
    for (const [key, n] of Object.entries(counts)) rows.push([snake(section), key, n]);
  }
  for (const [name, p] of Object.entries(report.durations)) {
    rows.push([snake(name), "count", p.count], [snake(name), "median_seconds", p.medianSeconds]);
    rows.push([snake(name), "p90_seconds", p.p90Seconds]);
  }
  for (const [stage, share] of Object.entries(report.deadlineCompliance)) {
    const section = `deadline_${stage}`;
    rows.push([section, "met", share.met], [section, "missed", share.missed], [section, "rate", share.rate]);
  }
  rows.push(
    ["amounts", "protected_fen", report.amounts.protected],
    ["amounts", "lost_fen", report.amounts.lost],
  );
  return csvDocument(["section", "key", "value"], rows);
}
