import { and, eq, inArray, sql } from "drizzle-orm";
import { alerts, posts } from "../../schema";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";

/** Open alerts per post of the caller's station: how many, how many overdue, how many escalated. */
export async function workloadByPost(deps: Pick<Deps, "db" | "clock">, principal: Principal) {
  assertSupervisorOrAdmin(principal);
  const now = deps.clock.now();
  return deps.db
    .select({
      postId: posts.id,
      name: posts.name,
      open: sql<number>`count(${alerts.id})::int`,
      overdue: sql<number>`count(${alerts.id}) filter (where ${alerts.deadlineAt} < ${now}::timestamptz)::int`,
      escalated: sql<number>`count(${alerts.id}) filter (where ${alerts.escalated})::int`,
    })
    .from(posts)
    .leftJoin(
      alerts,
      and(eq(alerts.postId, posts.id), inArray(alerts.stage, ["received", "pushed", "acknowledged"])),
    )
    .where(eq(posts.stationId, principal.stationId))
    .groupBy(posts.id, posts.name)
    .orderBy(posts.name);
}
