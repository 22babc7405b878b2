import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { alerts, type DeadlineKind, RISK_LEVELS, type RiskLevel, type WarningType } from "../../schema";
import { type Executor, queryRows } from "../db/client";
import { idArray } from "../db/id-array";
import { rowFromDriver } from "../db/rows";
import { type DeadlinePolicy, nextDeadline } from "./deadlines";

/**
 * Repeat warnings: a subject with an open alert gets their new warnings linked to it instead of a second case.
 * Stages in which an alert is still being handled (a closed alert is history; a new warning opens a new case).
 */
export const OPEN_STAGES = ["received", "pushed", "acknowledged"] as const;

/** Namespaces of the two-key advisory locks below, so they cannot collide with anyone else's advisory locks. */
const SUBJECT_LOCK_NAMESPACE = 0x5ab1ec7;
const ALL_SUBJECTS_LOCK_NAMESPACE = 0x5ab1ec8;
/**
 * A batch with more subjects than this locks every subject at once rather than each: PostgreSQL's shared lock
 * table holds max_locks_per_transaction × connections locks (6,400 by default), and a few concurrent batches
 * of a thousand subjects would run it out. 128 keeps even the cloud's 16 API functions' intakes within a third
 * of it.
 */
const MAX_SUBJECT_LOCKS = 128;

export function subjectLockKey(subjectHash: string): number {
  return Buffer.from(subjectHash, "base64url").readInt32BE(0);
}

/**
 * Serialises intake transactions that may create or join an alert for the same subject, so two concurrent
 * batches cannot both open a case for one person. A batch of up to MAX_SUBJECT_LOCKS subjects takes one lock
 * per subject (32 bits of the subject's hash), under a shared lock on all subjects; a larger batch takes that
 * lock exclusively, and so waits for and holds off every other batch. Per-subject locks replaced 256 buckets,
 * which two batches of 100 subjects almost always shared, so concurrent feeds' batches ran one at a time
 * (bench:intake, issue 19).
 * The all-subjects lock comes first and the subject locks follow in ascending order, in one statement (unnest
 * with ordinality keeps the array's order), so two batches never wait on each other in a cycle. They are
 * released at commit or rollback.
 */
export async function lockSubjects(tx: Executor, subjectHashes: Iterable<string>): Promise<void> {
  const keys = [...new Set([...subjectHashes].map(subjectLockKey))].sort((a, b) => a - b);
  if (keys.length === 0) return;
  if (keys.length > MAX_SUBJECT_LOCKS) {
    await tx.execute(sql`select pg_advisory_xact_lock(${ALL_SUBJECTS_LOCK_NAMESPACE}, 0)`);
    return;
  }
  const list = sql.join(
    keys.map((k) => sql.raw(String(k))),
    sql`, `,
  );
  await tx.execute(
    sql`select case when o = 1 then pg_advisory_xact_lock_shared(${ALL_SUBJECTS_LOCK_NAMESPACE}, 0)
                    else pg_advisory_xact_lock(${SUBJECT_LOCK_NAMESPACE}, k) end
        from unnest(array[0, ${list}]::int[]) with ordinality as t(k, o)`,
  );
}

export interface OpenAlert {
  id: string;
  stage: (typeof OPEN_STAGES)[number];
  subjectPhoneHash: string;
  type: WarningType;
  riskLevel: RiskLevel;
  amountAtRisk: number | null;
  deadlineKind: DeadlineKind | null;
  deadlineAt: Date | null;
}

/**
 * Each subject's most recent open alert at the station received since `since` (by subject hash). The rows are
 * locked: an officer closing one of them at this moment either finishes first (and the alert no longer
 * matches, so the next most recent open one is taken, or the warning opens a new case) or waits for the
 * link, so no warning joins a case whose feedback has already been written without it.
 *
 * One lookup per subject, by alerts_subject_idx (subject, station, received_at): newest first, one row. As one
 * `subject = any(...)` over the batch, the planner (on a table it has not analysed) estimated a quarter of
 * the station's alerts to match fifty subjects and read every alert of the day by the station's index
 * instead: 17 ms a request at 30,000 alerts, growing through the day, against 3 ms this way (EXPLAIN ANALYZE).
 */
export async function findOpenAlerts(
  tx: Executor,
  stationId: string,
  subjectHashes: string[],
  since: Date,
): Promise<Map<string, OpenAlert>> {
  if (subjectHashes.length === 0) return new Map();
  // The hashes as one idArray: the statement's text is the same for any batch (src/db/id-array.ts).
  // Hashes are base64url: no commas.
  const rows = await queryRows<Record<string, unknown>>(
    tx,
    sql`select open.* from unnest(${idArray([...new Set(subjectHashes)])}) as subject(hash)
        cross join lateral (
          select id, stage, subject_phone_hash, type, risk_level, amount_at_risk, deadline_kind, deadline_at
          from alerts
          where ${and(
            sql`${alerts.subjectPhoneHash} = subject.hash`,
            eq(alerts.stationId, stationId),
            inArray(alerts.stage, [...OPEN_STAGES]),
            gte(alerts.receivedAt, since),
          )}
          order by received_at desc
          limit 1
          for update
        ) as open`,
  );
  const bySubject = new Map<string, OpenAlert>();
  for (const raw of rows) {
    const { id, stage, subjectPhoneHash, type, riskLevel, amountAtRisk, deadlineKind, deadlineAt } =
      rowFromDriver(alerts, raw);
    // Matched by hash, so the hash is there; matched among OPEN_STAGES, so the stage is one of them.
    const open = { id, stage, subjectPhoneHash, type, riskLevel, amountAtRisk, deadlineKind, deadlineAt };
    bySubject.set(subjectPhoneHash as string, open as OpenAlert);
  }
  return bySubject;
}

/** critical > high > medium > low. */
export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.length - RISK_LEVELS.indexOf(level);
}

export interface CaseFacts {
  type: WarningType;
  riskLevel: RiskLevel;
  amountAtRisk: number | null;
}

/**
 * What an alert becomes when another warning joins it: the risk level and type follow the warning when it is
 * more urgent (a funds warning after a call), and the amount at risk is the largest any warning reported.
 */
export function joinWarning(current: CaseFacts, warning: CaseFacts): CaseFacts {
  const rises = riskRank(warning.riskLevel) > riskRank(current.riskLevel);
  const amounts = [current.amountAtRisk, warning.amountAtRisk].filter((a): a is number => a !== null);
  return {
    type: rises ? warning.type : current.type,
    riskLevel: rises ? warning.riskLevel : current.riskLevel,
    amountAtRisk: amounts.length > 0 ? Math.max(...amounts) : null,
  };
}

const STATE_FOR_KIND: Record<
  DeadlineKind,
  { stage: "pushed" | "acknowledged"; contacted: boolean; visitOwed: boolean }
> = {
  acknowledge: { stage: "pushed", contacted: false, visitOwed: false },
  contact: { stage: "acknowledged", contacted: false, visitOwed: false },
  visit: { stage: "acknowledged", contacted: true, visitOwed: true },
  feedback: { stage: "acknowledged", contacted: true, visitOwed: false },
};

/**
 * The deadline an alert is held to after its risk level rose at `now`: the step it is on now is owed within
 * the new level's time counted from the warning that raised it, or by the old deadline if that is sooner
 * (a raise never gives an officer more time). Null: leave the deadline as it is.
 */
export function tightenedDeadline(
  policy: DeadlinePolicy,
  alert: { deadlineKind: DeadlineKind | null; deadlineAt: Date | null },
  riskLevel: RiskLevel,
  now: Date,
): Date | null {
  if (!alert.deadlineKind || !alert.deadlineAt) return null;
  const shape = STATE_FOR_KIND[alert.deadlineKind];
  const next = nextDeadline(policy, {
    stage: shape.stage,
    riskLevel,
    receivedAt: now,
    contacted: shape.contacted,
    visitOwedSince: shape.visitOwed ? now : null,
  });
  if (!next || next.kind !== alert.deadlineKind) return null;
  return next.at < alert.deadlineAt ? next.at : null;
}
