import { and, desc, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import { alerts, officers } from "../../schema";
import type { Principal } from "../auth/sessions";
import { shanghaiDate, shanghaiMidnight } from "../calendar";
import type { Deps } from "../deps";
import { maskedSubject } from "../privacy/subject";

/**
 * "What did we close today": the caller's alerts given a final outcome since Beijing midnight, latest first.
 * Officers see their post's, supervisors and admins the station's, as in the queue.
 */
export async function handledToday(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  limit = 50,
) {
  const since = shanghaiMidnight(shanghaiDate(deps.clock.now()));
  const filters: SQL[] = [
    eq(alerts.stationId, principal.stationId),
    inArray(alerts.stage, ["verified", "fed_back"]),
    gte(alerts.verifiedAt, since),
  ];
  if (principal.role === "officer") {
    filters.push(principal.postId ? eq(alerts.postId, principal.postId) : sql`false`);
  }
  const rows = await deps.db
    .select({ alert: alerts, verifiedByName: officers.displayName })
    .from(alerts)
    .leftJoin(officers, eq(officers.id, alerts.verifiedBy))
    .where(and(...filters))
    .orderBy(desc(alerts.verifiedAt), desc(alerts.id))
    .limit(limit);
  return rows.map(({ alert: a, verifiedByName }) => ({
    id: a.id,
    riskLevel: a.riskLevel,
    type: a.type,
    fraudType: a.fraudType,
    subject: maskedSubject(deps.pii, a),
    outcome: a.outcome,
    amountProtected: a.amountProtected,
    amountLost: a.amountLost,
    verifiedAt: a.verifiedAt as Date,
    verifiedBy: verifiedByName,
  }));
}

export type HandledAlert = Awaited<ReturnType<typeof handledToday>>[number];
