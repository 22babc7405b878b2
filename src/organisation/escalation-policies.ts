import { and, eq, inArray } from "drizzle-orm";
import { type EscalationStep, escalationPolicies, officers, RISK_LEVELS, type RiskLevel } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin, assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError, type FieldError } from "../errors";

/**
 * Escalation policies as the admin writes them: per station and risk level, the steps paged one after the
 * other while an alert's deadline stays missed (the chain itself runs in src/alerts/escalate.ts). A level
 * the admin never wrote follows the default, which is how escalation worked before policies: the post's
 * on-duty officers and the station's supervisors, reminded every ESCALATION_REMIND_MINUTES.
 */
type PolicyDeps = Pick<Deps, "db" | "clock" | "config">;
export type EscalationPolicies = Record<RiskLevel, EscalationStep[]>;

const auditStation = auditFor("escalation_policy");

export function defaultSteps(remindMinutes: number): EscalationStep[] {
  return [{ targets: [{ kind: "on_duty" }, { kind: "supervisors" }], waitMinutes: remindMinutes }];
}

/** Each station's policies, every level filled in (the default where the admin wrote none). */
export async function policiesOf(
  executor: Executor,
  stationIds: string[],
  remindMinutes: number,
): Promise<Map<string, EscalationPolicies>> {
  const rows =
    stationIds.length === 0
      ? []
      : await executor
          .select()
          .from(escalationPolicies)
          .where(inArray(escalationPolicies.stationId, stationIds));
  const fallback = defaultSteps(remindMinutes);
  return new Map(
    stationIds.map((stationId) => {
      const written = new Map(
        rows.filter((r) => r.stationId === stationId).map((r) => [r.riskLevel, r.steps]),
      );
      const levels = RISK_LEVELS.map((level) => [level, written.get(level) ?? fallback] as const);
      return [stationId, Object.fromEntries(levels) as EscalationPolicies];
    }),
  );
}

/** The station's four policies as the API shows them: `default` where the admin wrote none. */
export async function listPolicies(deps: PolicyDeps, principal: Principal) {
  assertSupervisorOrAdmin(principal, "escalation policies are for supervisors and admins");
  const rows = await deps.db
    .select()
    .from(escalationPolicies)
    .where(eq(escalationPolicies.stationId, principal.stationId));
  return RISK_LEVELS.map((riskLevel) => {
    const row = rows.find((r) => r.riskLevel === riskLevel);
    return row
      ? {
          riskLevel,
          default: false,
          steps: row.steps,
          updatedBy: row.updatedBy,
          updatedAt: row.updatedAt.toISOString(),
        }
      : {
          riskLevel,
          default: true,
          steps: defaultSteps(deps.config.ESCALATION_REMIND_MINUTES),
          updatedBy: null,
          updatedAt: null,
        };
  });
}

/** Replaces the level's policy as a whole: the steps the admin sends are the policy. */
export async function putPolicy(
  deps: PolicyDeps,
  principal: Principal,
  riskLevel: RiskLevel,
  steps: EscalationStep[],
) {
  assertAdmin(principal, "only admins change escalation policies");
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await assertPageableOfficers(tx, principal.stationId, steps);
    // Stored exactly as validated, without fields the kind does not use.
    const clean = steps.map((s) => ({
      waitMinutes: s.waitMinutes,
      targets: s.targets.map((t) =>
        t.kind === "officer" ? { kind: t.kind, officerId: t.officerId } : { kind: t.kind },
      ),
    }));
    await tx
      .insert(escalationPolicies)
      .values({
        stationId: principal.stationId,
        riskLevel,
        steps: clean,
        updatedBy: principal.officerId,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [escalationPolicies.stationId, escalationPolicies.riskLevel],
        set: { steps: clean, updatedBy: principal.officerId, updatedAt: now },
      });
    await auditStation(tx, deps, principal, "escalation_policy.replaced", riskLevel, { steps: clean });
  });
  return (await listPolicies(deps, principal)).find((p) => p.riskLevel === riskLevel);
}

/** Back to the default policy for the level. Deleting one that was never written is not an error. */
export async function resetPolicy(deps: PolicyDeps, principal: Principal, riskLevel: RiskLevel) {
  assertAdmin(principal, "only admins change escalation policies");
  await deps.db.transaction(async (tx) => {
    const deleted = await tx
      .delete(escalationPolicies)
      .where(
        and(
          eq(escalationPolicies.stationId, principal.stationId),
          eq(escalationPolicies.riskLevel, riskLevel),
        ),
      )
      .returning({ riskLevel: escalationPolicies.riskLevel });
    if (deleted.length > 0) await auditStation(tx, deps, principal, "escalation_policy.reset", riskLevel);
  });
}

/** A step naming an officer must name an enabled officer of the station with a phone: a 400 naming the field. */
async function assertPageableOfficers(executor: Executor, stationId: string, steps: EscalationStep[]) {
  const named = steps.flatMap((s, i) =>
    s.targets.flatMap((t, j) =>
      t.kind === "officer" && t.officerId
        ? [{ path: `steps.${i}.targets.${j}.officerId`, officerId: t.officerId }]
        : [],
    ),
  );
  if (named.length === 0) return;
  const found = await executor
    .select({ id: officers.id, phoneEnc: officers.phoneEnc, disabledAt: officers.disabledAt })
    .from(officers)
    .where(
      and(
        inArray(officers.id, [...new Set(named.map((n) => n.officerId))]),
        eq(officers.stationId, stationId),
      ),
    );
  const byId = new Map(found.filter((o) => o.disabledAt === null).map((o) => [o.id, o]));
  const details: FieldError[] = named.flatMap((n) => {
    const officer = byId.get(n.officerId);
    if (!officer) return [{ path: n.path, message: "no such enabled officer at your station" }];
    if (!officer.phoneEnc) return [{ path: n.path, message: "this officer has no phone to page" }];
    return [];
  });
  if (details.length > 0)
    throw new AppError("VALIDATION_FAILED", "the policy names officers who cannot be paged", details);
}
