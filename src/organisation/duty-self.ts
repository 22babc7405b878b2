import { and, asc, eq, gt, lte, or } from "drizzle-orm";
import { officers, posts, rosterAssignments, rosterOverrides, rosterShifts } from "../../schema";
import { writeAudit } from "../audit/log";
import type { Principal } from "../auth/sessions";
import type { Executor } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { dutyAt } from "./on-duty";

/**
 * An officer marks themselves on or off duty (console, POST /v1/officers/me/duty). The mark is the officer's
 * own switch (officers.on_duty); ./roster.ts says where it counts: it takes a rostered officer off duty, and
 * cannot put anyone on duty outside their shifts and covers (marking on there is accepted and counts from
 * their next shift). Marking off is refused while the officer is the only one on duty at a post they are
 * rostered at now: the post would fall back to the duty desk without anyone deciding it. Audited either way.
 */
type DutyDeps = Pick<Deps, "db" | "clock">;

/** The posts the officer could be on duty at: their own, those of their shifts, those they cover. */
async function postsOf(executor: Executor, officerId: string, ownPostId: string | null, at: Date) {
  const [shiftPosts, coverPosts] = await Promise.all([
    executor
      .selectDistinct({ postId: rosterShifts.postId })
      .from(rosterAssignments)
      .innerJoin(rosterShifts, eq(rosterShifts.id, rosterAssignments.shiftId))
      .where(eq(rosterAssignments.officerId, officerId)),
    executor
      .selectDistinct({ postId: rosterOverrides.postId })
      .from(rosterOverrides)
      .where(
        and(
          eq(rosterOverrides.officerId, officerId),
          eq(rosterOverrides.kind, "cover"),
          lte(rosterOverrides.startsAt, at),
          gt(rosterOverrides.endsAt, at),
        ),
      ),
  ]);
  const ids = [...shiftPosts, ...coverPosts].map((p) => p.postId);
  if (ownPostId) ids.push(ownPostId);
  return [...new Set(ids)];
}

/** Where the officer is on duty at `at` (not as a fallback). */
async function onDutyPosts(executor: Executor, officerId: string, postIds: string[], at: Date) {
  const answers = await dutyAt(executor, postIds, at, { reachable: true });
  return [...answers.entries()]
    .filter(([, a]) => !a.fallback && a.officers.some((o) => o.id === officerId))
    .map(([postId, a]) => ({ postId, alone: a.officers.length === 1 }));
}

export interface DutyStatus {
  /** The officer's own switch. */
  onDuty: boolean;
  /** Posts where the roster and the switch put the officer on duty now. */
  onDutyAt: string[];
}

export async function ownDutyStatus(deps: DutyDeps, principal: Principal): Promise<DutyStatus> {
  const now = deps.clock.now();
  const [me] = await deps.db
    .select({ onDuty: officers.onDuty })
    .from(officers)
    .where(eq(officers.id, principal.officerId));
  const postIds = await postsOf(deps.db, principal.officerId, principal.postId, now);
  const at = await onDutyPosts(deps.db, principal.officerId, postIds, now);
  return { onDuty: me?.onDuty ?? false, onDutyAt: at.map((p) => p.postId) };
}

export async function markOwnDuty(
  deps: DutyDeps,
  principal: Principal,
  onDuty: boolean,
): Promise<DutyStatus> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    // The station's switched-on officers and this one are locked, in id order (no deadlock), so two officers
    // of a post marking off at once cannot both pass the "not alone" check.
    const locked = await tx
      .select({ id: officers.id, onDuty: officers.onDuty })
      .from(officers)
      .where(
        and(
          eq(officers.stationId, principal.stationId),
          or(eq(officers.onDuty, true), eq(officers.id, principal.officerId)),
        ),
      )
      .orderBy(asc(officers.id))
      .for("update");
    const me = locked.find((o) => o.id === principal.officerId);
    if (!me) throw new AppError("NOT_FOUND", "no such officer");
    const postIds = await postsOf(tx, principal.officerId, principal.postId, now);
    if (!onDuty && postIds.length > 0) {
      const alone = (await onDutyPosts(tx, principal.officerId, postIds, now)).find((p) => p.alone);
      if (alone) {
        const [post] = await tx.select({ name: posts.name }).from(posts).where(eq(posts.id, alone.postId));
        throw new AppError(
          "CONFLICT",
          `you are the only officer on duty at ${post?.name ?? alone.postId} now: ask an admin for a cover or leave override instead of marking yourself off duty`,
          [{ path: "onDuty", message: "the only officer on duty at the post" }],
        );
      }
    }
    await tx.update(officers).set({ onDuty }).where(eq(officers.id, principal.officerId));
    await writeAudit(tx, {
      stationId: principal.stationId,
      officerId: principal.officerId,
      action: onDuty ? "officer.marked_on_duty" : "officer.marked_off_duty",
      targetType: "officer",
      targetId: principal.officerId,
      data: { was: me.onDuty },
      at: now,
    });
  });
  return ownDutyStatus(deps, principal);
}
