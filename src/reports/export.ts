import { and, asc, eq, gte, lt } from "drizzle-orm";
import { alerts, posts } from "../../schema";
import { writeAudit } from "../audit/log";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { maskPhone } from "../privacy/phone";
import { type DayFigures, dailyFigures } from "./daily";
import type { DayRange } from "./day-range";

export type ExportKind = "daily" | "alerts";

/** One alert as the export lists it: the subject masked, the post by name, amounts in fen. */
export type ExportedAlert = Awaited<ReturnType<typeof alertRows>>[number];

async function alertRows(
  deps: Pick<Deps, "pii">,
  tx: Parameters<typeof writeAudit>[0],
  stationId: string,
  range: DayRange,
) {
  const rows = await tx
    .select({ alert: alerts, postName: posts.name })
    .from(alerts)
    .leftJoin(posts, eq(posts.id, alerts.postId))
    .where(
      and(
        eq(alerts.stationId, stationId),
        gte(alerts.receivedAt, range.from),
        lt(alerts.receivedAt, range.to),
      ),
    )
    .orderBy(asc(alerts.receivedAt), asc(alerts.id));
  return rows.map(({ alert: a, postName }) => ({
    id: a.id,
    receivedAt: a.receivedAt,
    postName,
    riskLevel: a.riskLevel,
    type: a.type,
    fraudType: a.fraudType,
    phone: a.subjectPhoneEnc ? maskPhone(deps.pii.decrypt(a.subjectPhoneEnc)) : null,
    area: a.areaAddress ?? a.areaCode,
    stage: a.stage,
    outcome: a.outcome,
    pushSeconds: a.pushedAt ? (a.pushedAt.getTime() - a.receivedAt.getTime()) / 1000 : null,
    escalationCount: a.escalationCount,
    amountProtected: a.amountProtected,
    amountLost: a.amountLost,
  }));
}

/**
 * A supervisor's export of a date range: the daily figures, or the alerts themselves (subjects masked). An
 * export leaves the system for good, so, like a revealed number, it is audited — who, which kind, which days,
 * how many rows — in the transaction that reads it: no export without its entry.
 */
export async function exportReport<K extends ExportKind>(
  deps: Pick<Deps, "db" | "pii" | "clock">,
  principal: Principal,
  kind: K,
  range: DayRange,
): Promise<K extends "daily" ? DayFigures[] : ExportedAlert[]> {
  assertSupervisorOrAdmin(principal, "exports are for supervisors and admins");
  return deps.db.transaction(async (tx) => {
    const rows =
      kind === "daily"
        ? await dailyFigures({ db: tx }, { stationId: principal.stationId, range })
        : await alertRows(deps, tx, principal.stationId, range);
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: "report.exported",
      targetType: "report",
      targetId: kind,
      data: { firstDay: range.firstDay, lastDay: range.lastDay, rows: rows.length },
      at: deps.clock.now(),
    });
    return rows as K extends "daily" ? DayFigures[] : ExportedAlert[];
  });
}
