import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { officers, posts, rosterAssignments, rosterOverrides, rosterShifts } from "../../schema";
import { auditFor } from "../audit/log";
import { assertAdmin, assertSupervisorOrAdmin } from "../auth/roles";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import { stationLookup } from "../db/station-scope";
import type { Deps } from "../deps";
import { AppError, type FieldError } from "../errors";
import { newId } from "../ids";
import { dutyAt } from "./on-duty";

/**
 * A post's roster as admins write it and supervisors read it: weekly shifts with their officers, the post's
 * fallback, dated overrides. The answer they lead to is ./roster.ts (rule) and ./on-duty.ts (paging).
 */
type RosterDeps = Pick<Deps, "db" | "clock">;

export interface ShiftInput {
  dayOfWeek: number;
  startMinute: number;
  endMinute: number;
  officerIds: string[];
}
export interface RosterInput {
  shifts: ShiftInput[];
  /** A named supervisor paged when nobody is on duty; null: the station's duty desk. */
  fallbackOfficerId?: string | null;
}
export interface OverrideInput {
  officerId: string;
  kind: "cover" | "leave";
  startsAt: Date;
  endsAt: Date;
}

const ADMIN_REFUSAL = "only admins change rosters";
const READ_REFUSAL = "rosters are for supervisors and admins";
const stationPost = stationLookup(posts, "no such post at your station");
const auditPost = auditFor("post");
const auditOverride = auditFor("roster_override");

/** Every officer named must be an enabled officer of the station: a 400 naming the field otherwise. */
async function assertStationOfficers(
  executor: Executor,
  stationId: string,
  named: { path: string; officerId: string }[],
  role?: "supervisor",
) {
  if (named.length === 0) return;
  const found = await executor
    .select({ id: officers.id, role: officers.role, disabledAt: officers.disabledAt })
    .from(officers)
    .where(
      and(
        inArray(officers.id, [...new Set(named.map((n) => n.officerId))]),
        eq(officers.stationId, stationId),
      ),
    );
  const ok = new Map(found.filter((o) => o.disabledAt === null).map((o) => [o.id, o.role]));
  const details: FieldError[] = named
    .filter((n) => !ok.has(n.officerId) || (role && ok.get(n.officerId) === "officer"))
    .map((n) => ({
      path: n.path,
      message: ok.has(n.officerId)
        ? "a fallback must be a supervisor or an admin"
        : "no such enabled officer at your station",
    }));
  if (details.length > 0)
    throw new AppError("VALIDATION_FAILED", "the roster names unknown officers", details);
}

async function loadRoster(executor: Executor, post: typeof posts.$inferSelect) {
  const rows = await executor
    .select({ shift: rosterShifts, officerId: rosterAssignments.officerId })
    .from(rosterShifts)
    .leftJoin(rosterAssignments, eq(rosterAssignments.shiftId, rosterShifts.id))
    .where(eq(rosterShifts.postId, post.id))
    .orderBy(asc(rosterShifts.dayOfWeek), asc(rosterShifts.startMinute), asc(rosterShifts.id));
  const shifts = new Map<string, ShiftInput & { id: string }>();
  for (const { shift, officerId } of rows) {
    const entry = shifts.get(shift.id) ?? {
      id: shift.id,
      dayOfWeek: shift.dayOfWeek,
      startMinute: shift.startMinute,
      endMinute: shift.endMinute,
      officerIds: [],
    };
    if (officerId) entry.officerIds.push(officerId);
    shifts.set(shift.id, entry);
  }
  for (const s of shifts.values()) s.officerIds.sort();
  return { postId: post.id, fallbackOfficerId: post.fallbackOfficerId, shifts: [...shifts.values()] };
}

export async function getRoster(deps: RosterDeps, principal: Principal, postId: string) {
  assertSupervisorOrAdmin(principal, READ_REFUSAL);
  return loadRoster(deps.db, await stationPost(deps.db, principal, postId));
}

/** Replaces the post's weekly shifts (and its fallback) as a whole: what the admin sends is the roster. */
export async function putRoster(deps: RosterDeps, principal: Principal, postId: string, input: RosterInput) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    const post = await stationPost(tx, principal, postId, { forUpdate: true });
    await assertStationOfficers(
      tx,
      principal.stationId,
      input.shifts.flatMap((s, i) =>
        s.officerIds.map((officerId, j) => ({ path: `shifts.${i}.officerIds.${j}`, officerId })),
      ),
    );
    if (input.fallbackOfficerId) {
      await assertStationOfficers(
        tx,
        principal.stationId,
        [{ path: "fallbackOfficerId", officerId: input.fallbackOfficerId }],
        "supervisor",
      );
    }
    await tx.delete(rosterShifts).where(eq(rosterShifts.postId, postId));
    const shifts = input.shifts.map((s) => ({ ...s, id: newId("rosterShift") }));
    if (shifts.length > 0) {
      await tx.insert(rosterShifts).values(
        shifts.map((s) => ({
          id: s.id,
          stationId: principal.stationId,
          postId,
          dayOfWeek: s.dayOfWeek,
          startMinute: s.startMinute,
          endMinute: s.endMinute,
        })),
      );
      const assignments = shifts.flatMap((s) =>
        s.officerIds.map((officerId) => ({ shiftId: s.id, officerId })),
      );
      if (assignments.length > 0) await tx.insert(rosterAssignments).values(assignments);
    }
    const fallbackOfficerId =
      input.fallbackOfficerId === undefined ? post.fallbackOfficerId : input.fallbackOfficerId;
    await tx.update(posts).set({ fallbackOfficerId }).where(eq(posts.id, postId));
    await auditPost(tx, deps, principal, "roster.replaced", postId, {
      shifts: input.shifts,
      fallbackOfficerId,
    });
    return loadRoster(tx, { ...post, fallbackOfficerId });
  });
}

const overrideView = (o: typeof rosterOverrides.$inferSelect) => ({
  id: o.id,
  officerId: o.officerId,
  kind: o.kind,
  startsAt: o.startsAt.toISOString(),
  endsAt: o.endsAt.toISOString(),
  createdBy: o.createdBy,
  createdAt: o.createdAt.toISOString(),
});

/** The post's overrides that have not ended yet, soonest first: past ones stay in the audit log. */
export async function listOverrides(deps: RosterDeps, principal: Principal, postId: string) {
  assertSupervisorOrAdmin(principal, READ_REFUSAL);
  await stationPost(deps.db, principal, postId);
  const rows = await deps.db
    .select()
    .from(rosterOverrides)
    .where(and(eq(rosterOverrides.postId, postId), gt(rosterOverrides.endsAt, deps.clock.now())))
    .orderBy(asc(rosterOverrides.startsAt), asc(rosterOverrides.id));
  return rows.map(overrideView);
}

export async function createOverride(
  deps: RosterDeps,
  principal: Principal,
  postId: string,
  input: OverrideInput,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  return deps.db.transaction(async (tx) => {
    await stationPost(tx, principal, postId);
    await assertStationOfficers(tx, principal.stationId, [{ path: "officerId", officerId: input.officerId }]);
    const [created] = await tx
      .insert(rosterOverrides)
      .values({
        id: newId("rosterOverride"),
        stationId: principal.stationId,
        postId,
        ...input,
        createdBy: principal.officerId,
        createdAt: deps.clock.now(),
      })
      .returning();
    const row = created as typeof rosterOverrides.$inferSelect;
    await auditOverride(tx, deps, principal, "roster_override.created", row.id, {
      postId,
      officerId: row.officerId,
      kind: row.kind,
      startsAt: row.startsAt.toISOString(),
      endsAt: row.endsAt.toISOString(),
    });
    return overrideView(row);
  });
}

export async function deleteOverride(
  deps: RosterDeps,
  principal: Principal,
  postId: string,
  overrideId: string,
) {
  assertAdmin(principal, ADMIN_REFUSAL);
  await deps.db.transaction(async (tx) => {
    await stationPost(tx, principal, postId);
    const [deleted] = await tx
      .delete(rosterOverrides)
      .where(and(eq(rosterOverrides.id, overrideId), eq(rosterOverrides.postId, postId)))
      .returning();
    if (!deleted) throw new AppError("NOT_FOUND", "no such override at this post");
    await auditOverride(tx, deps, principal, "roster_override.deleted", overrideId, {
      postId,
      officerId: deleted.officerId,
      kind: deleted.kind,
    });
  });
}

/** Who is paged at the post at `at` (now by default) and why; any officer of the station may ask. */
export async function whoIsOnDuty(deps: RosterDeps, principal: Principal, postId: string, at?: Date) {
  await stationPost(deps.db, principal, postId);
  const when = at ?? deps.clock.now();
  const answer = (await dutyAt(deps.db, [postId], when, { reachable: true })).get(postId);
  return {
    postId,
    at: when.toISOString(),
    fallback: answer?.fallback ?? true,
    officers: (answer?.officers ?? []).map((o) => ({ ...o.why, displayName: o.displayName })),
  };
}

/** The weekly shifts an officer of the station works, at any post, with the post's name (admins' officer page). */
export async function shiftsOfOfficer(deps: RosterDeps, principal: Principal, officerId: string) {
  assertSupervisorOrAdmin(principal, READ_REFUSAL);
  return deps.db
    .select({
      shiftId: rosterShifts.id,
      postId: rosterShifts.postId,
      postName: posts.name,
      dayOfWeek: rosterShifts.dayOfWeek,
      startMinute: rosterShifts.startMinute,
      endMinute: rosterShifts.endMinute,
    })
    .from(rosterAssignments)
    .innerJoin(rosterShifts, eq(rosterShifts.id, rosterAssignments.shiftId))
    .innerJoin(posts, eq(posts.id, rosterShifts.postId))
    .where(and(eq(rosterAssignments.officerId, officerId), eq(rosterShifts.stationId, principal.stationId)))
    .orderBy(asc(rosterShifts.dayOfWeek), asc(rosterShifts.startMinute));
}
