import { and, asc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { alerts, posts } from "../../schema";
import { assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { type EscalationPolicies, policiesOf } from "../organisation/escalation-policies";
import { maskPhone } from "../privacy/phone";
import { OPEN_STAGES } from "./workflow-system";

/** Bounds the page: a station with more than this many late alerts has a bigger problem than a long list. */
const LIMIT = 200;

/**
 * What a supervisor must chase, post by post: open alerts whose deadline has passed, and open alerts that were
 * escalated. An escalation moves the deadline to the next reminder, so an escalated alert is often not
 * "overdue" any more; it is listed all the same, with how many times and when it was last escalated.
 * Groups follow the post names; alerts in a group, the longest overdue first.
 */
export async function alertsNeedingAttention(
  deps: Pick<Deps, "db" | "pii" | "clock" | "config">,
  principal: Principal,
) {
  assertSupervisorOrAdmin(principal);
  const now = deps.clock.now();
  const rows = await deps.db
    .select({ alert: alerts, postName: posts.name })
    .from(alerts)
    .leftJoin(posts, eq(posts.id, alerts.postId))
    .where(
      and(
        eq(alerts.stationId, principal.stationId),
        inArray(alerts.stage, [...OPEN_STAGES]),
        or(lt(alerts.deadlineAt, now), eq(alerts.escalated, true)),
      ),
    )
    .orderBy(sql`${posts.name} asc nulls last`, sql`${alerts.deadlineAt} asc nulls last`, asc(alerts.id))
    .limit(LIMIT);

  const policies = (
    await policiesOf(deps.db, [principal.stationId], deps.config.ESCALATION_REMIND_MINUTES)
  ).get(principal.stationId) as EscalationPolicies;
  const groups: { postId: string | null; postName: string | null; alerts: AttentionAlert[] }[] = [];
  for (const { alert: a, postName } of rows) {
    let group = groups.at(-1);
    if (!group || group.postId !== a.postId) {
      group = { postId: a.postId, postName, alerts: [] };
      groups.push(group);
    }
    group.alerts.push({
      id: a.id,
      stage: a.stage,
      type: a.type,
      riskLevel: a.riskLevel,
      // The number only: decrypting the name too would double the work for a field this list never shows.
      phone: a.subjectPhoneEnc ? maskPhone(deps.pii.decrypt(a.subjectPhoneEnc)) : null,
      area: a.areaAddress ?? a.areaCode,
      postName,
      deadline: a.deadlineKind && a.deadlineAt ? { kind: a.deadlineKind, at: a.deadlineAt } : null,
      overdue: a.deadlineAt !== null && a.deadlineAt < now,
      escalated: a.escalated,
      escalationCount: a.escalationCount,
      lastEscalatedAt: a.lastEscalatedAt,
      // Where its escalation chain stands: the step paged last, of how many, and when the next is due.
      chain:
        a.escalationStep > 0 && a.escalationLevel && a.deadlineAt
          ? { step: a.escalationStep, steps: policies[a.escalationLevel].length, nextAt: a.deadlineAt }
          : null,
    });
  }
  return { groups, truncated: rows.length === LIMIT };
}

export interface AttentionAlert {
  id: string;
  stage: (typeof alerts.$inferSelect)["stage"];
  type: (typeof alerts.$inferSelect)["type"];
  riskLevel: (typeof alerts.$inferSelect)["riskLevel"];
  /** Masked; null once the retention purge cleared it. */
  phone: string | null;
  area: string | null;
  postName: string | null;
  deadline: { kind: NonNullable<(typeof alerts.$inferSelect)["deadlineKind"]>; at: Date } | null;
  overdue: boolean;
  escalated: boolean;
  escalationCount: number;
  lastEscalatedAt: Date | null;
  chain: { step: number; steps: number; nextAt: Date } | null;
}
