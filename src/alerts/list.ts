import { and, asc, eq, gt, gte, inArray, isNull, like, lt, or, type SQL, sql } from "drizzle-orm";
import { type AlertStage, alerts, type RiskLevel } from "../../schema";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { decodeCursor, encodeCursor, isCursorTime } from "../pagination";
import { maskedSubject } from "../privacy/subject";

export interface AlertListQuery {
  limit: number;
  cursor?: string;
  stage?: AlertStage;
  riskLevel?: RiskLevel;
  /** Only alerts whose current deadline has passed. */
  overdue?: boolean;
  postId?: string;
  /** On receivedAt: from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
  /** Only alerts still being handled (received, pushed, acknowledged). */
  openOnly?: boolean;
  /** Only alerts nobody has acknowledged yet (received or pushed). */
  unacknowledged?: boolean;
  /** Only alerts this officer acknowledged. */
  acknowledgedBy?: string;
  /** The subject's keyed phone hash (`deps.pii.hash` of the E.164 number): exact match, no plaintext scan. */
  subjectPhoneHash?: string;
  /** The reference pages show (`alertCode`): the id's last eight characters. */
  code?: string;
}

/** The short reference an officer reads out or types: an alert id's last eight (random) characters. */
export const alertCode = (id: string) => id.slice(-8).toUpperCase();

interface ListCursor {
  /** The last row's deadline (ISO) or null when the page ended among alerts with no deadline. */
  d: string | null;
  id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const readCursor = (v: unknown): ListCursor | undefined => {
  if (typeof v !== "object" || v === null) return undefined;
  const { d, id } = v as { d?: unknown; id?: unknown };
  if (typeof id !== "string") return undefined;
  if (d === null) return { d, id };
  if (typeof d === "string" && CURSOR_TIME.test(d) && isCursorTime(d)) return { d, id };
  return undefined;
};

const DEADLINE_KEY = sql<
  string | null
>`to_char(${alerts.deadlineAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * "What must I handle now": the caller's alerts, nearest deadline first (alerts with nothing owed last),
 * then by id so the order is total and the keyset cursor never skips or repeats a row.
 * Officers see their post's alerts, supervisors and admins the station's.
 */
export async function listAlerts(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  query: AlertListQuery,
) {
  const now = deps.clock.now();
  const filters: SQL[] = [eq(alerts.stationId, principal.stationId)];
  if (principal.role === "officer") {
    // An officer without a post has no alerts; `post_id = NULL` matches nothing, which is what we want.
    filters.push(principal.postId ? eq(alerts.postId, principal.postId) : sql`false`);
  }
  if (query.postId) filters.push(eq(alerts.postId, query.postId));
  if (query.stage) filters.push(eq(alerts.stage, query.stage));
  if (query.riskLevel) filters.push(eq(alerts.riskLevel, query.riskLevel));
  if (query.overdue) filters.push(lt(alerts.deadlineAt, now));
  if (query.from) filters.push(gte(alerts.receivedAt, query.from));
  if (query.to) filters.push(lt(alerts.receivedAt, query.to));
  if (query.openOnly) filters.push(inArray(alerts.stage, ["received", "pushed", "acknowledged"]));
  if (query.unacknowledged) filters.push(inArray(alerts.stage, ["received", "pushed"]));
  if (query.acknowledgedBy) filters.push(eq(alerts.acknowledgedBy, query.acknowledgedBy));
  if (query.subjectPhoneHash) filters.push(eq(alerts.subjectPhoneHash, query.subjectPhoneHash));
  // Scoped to the caller's station (or post) above, so the suffix match reads a bounded set of rows.
  if (query.code) filters.push(like(alerts.id, `%${query.code.toLowerCase().replace(/[^0-9a-z]/g, "")}`));
  if (query.cursor) {
    const c = decodeCursor(query.cursor, readCursor);
    if (c.d === null) {
      filters.push(and(isNull(alerts.deadlineAt), gt(alerts.id, c.id)) as SQL);
    } else {
      // Compared as timestamptz text with microseconds: a JS Date would round a deadline written by SQL.
      filters.push(
        or(
          sql`${alerts.deadlineAt} > ${c.d}::timestamptz`,
          and(sql`${alerts.deadlineAt} = ${c.d}::timestamptz`, gt(alerts.id, c.id)),
          isNull(alerts.deadlineAt),
        ) as SQL,
      );
    }
  }
  const rows = await deps.db
    .select({ alert: alerts, deadlineKey: DEADLINE_KEY })
    .from(alerts)
    .where(and(...filters))
    .orderBy(sql`${alerts.deadlineAt} asc nulls last`, asc(alerts.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    alerts: page.map(({ alert: a }) => ({
      id: a.id,
      stage: a.stage,
      type: a.type,
      fraudType: a.fraudType,
      riskLevel: a.riskLevel,
      subject: maskedSubject(deps.pii, a),
      area: { code: a.areaCode, address: a.areaAddress },
      postId: a.postId,
      amountAtRisk: a.amountAtRisk,
      receivedAt: a.receivedAt.toISOString(),
      acknowledgedBy: a.acknowledgedBy,
      outcome: a.outcome,
      visitRequired: a.visitRequired,
      deadline:
        a.deadlineKind && a.deadlineAt ? { kind: a.deadlineKind, at: a.deadlineAt.toISOString() } : null,
      overdue: a.deadlineAt !== null && a.deadlineAt < now,
      escalated: a.escalated,
      version: a.version,
    })),
    nextCursor:
      rows.length > query.limit && last
        ? encodeCursor({ d: last.deadlineKey, id: last.alert.id } satisfies ListCursor)
        : null,
  };
}
