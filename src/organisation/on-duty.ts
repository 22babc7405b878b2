import { and, asc, eq, gt, inArray, isNull, lte, or } from "drizzle-orm";
import {
  alerts,
  officerNotices,
  officers,
  posts,
  rosterAssignments,
  rosterOverrides,
  rosterShifts,
} from "../../schema";
import type { Executor } from "../db/client";
import { type DutyReason, onDutyAt, type PostDuty, type Shift } from "./roster";

/**
 * The database side of "who is on duty at this post at T" (the rule is in ./roster.ts): every path that
 * pages officers — push, transfer, escalation, the notice flush and its re-drive — asks `dutyAt`, so they
 * cannot disagree. When the roster leaves nobody, the post's fallback is answered instead, never nobody:
 * 1. the post's named supervisor (posts.fallback_officer_id);
 * 2. else whoever is on duty at the station's duty desk (by its own roster or switches);
 * 3. else every officer of the duty desk; 4. else the station's supervisors.
 * A post without a roster keeps the old answer (its officers with on_duty = true), fallback aside.
 */

export type FallbackVia = "supervisor" | "duty_desk";
export type DutyWhy = DutyReason | { officerId: string; reason: "fallback"; via: FallbackVia };

export interface OnDutyOfficer {
  id: string;
  displayName: string;
  phoneEnc: string | null;
  lastNotifiedAt: Date | null;
  why: DutyWhy;
}

export interface PostDutyAnswer {
  officers: OnDutyOfficer[];
  /** Nobody was on duty: these are the fallback. */
  fallback: boolean;
}

/**
 * The answer for each post at `at`. `reachable` (paging) counts only officers with a phone, so a post whose
 * only on-duty officer has none goes to its fallback rather than to nobody. Disabled officers never count.
 */
export async function dutyAt(
  executor: Executor,
  postIds: string[],
  at: Date,
  options: { reachable?: boolean } = {},
): Promise<Map<string, PostDutyAnswer>> {
  const answers = new Map<string, PostDutyAnswer>();
  if (postIds.length === 0) return answers;
  // The posts asked about and their stations' duty desks, in one statement: this runs in every push batch.
  const postRows = await executor
    .select()
    .from(posts)
    .where(
      or(
        inArray(posts.id, postIds),
        and(
          eq(posts.isDutyDesk, true),
          inArray(
            posts.stationId,
            executor.select({ stationId: posts.stationId }).from(posts).where(inArray(posts.id, postIds)),
          ),
        ),
      ),
    );
  const asked = postRows.filter((p) => postIds.includes(p.id));
  if (asked.length === 0) return answers;
  const stationIds = [...new Set(asked.map((p) => p.stationId))];
  const desks = postRows.filter((p) => p.isDutyDesk);
  const allPostIds = postRows.map((p) => p.id);

  // Independent reads, sent together. Every enabled officer of the stations is a candidate (a station has
  // tens of officers): simpler than collecting those the shifts, overrides and fallbacks name first.
  const [shiftRows, overrideRows, officerRows] = await Promise.all([
    executor
      .select({
        id: rosterShifts.id,
        postId: rosterShifts.postId,
        dayOfWeek: rosterShifts.dayOfWeek,
        startMinute: rosterShifts.startMinute,
        endMinute: rosterShifts.endMinute,
        officerId: rosterAssignments.officerId,
      })
      .from(rosterShifts)
      .leftJoin(rosterAssignments, eq(rosterAssignments.shiftId, rosterShifts.id))
      .where(inArray(rosterShifts.postId, allPostIds)),
    executor
      .select()
      .from(rosterOverrides)
      .where(
        and(
          inArray(rosterOverrides.postId, allPostIds),
          lte(rosterOverrides.startsAt, at),
          gt(rosterOverrides.endsAt, at),
        ),
      ),
    executor
      .select({
        id: officers.id,
        stationId: officers.stationId,
        postId: officers.postId,
        role: officers.role,
        onDuty: officers.onDuty,
        displayName: officers.displayName,
        phoneEnc: officers.phoneEnc,
        lastNotifiedAt: officers.lastNotifiedAt,
      })
      .from(officers)
      .where(and(isNull(officers.disabledAt), inArray(officers.stationId, stationIds)))
      .orderBy(asc(officers.id)),
  ]);
  const candidates = officerRows.filter((o) => !options.reachable || o.phoneEnc !== null);
  const byId = new Map(candidates.map((o) => [o.id, o]));

  const postDuty = (postId: string): PostDuty => {
    const shifts = new Map<string, Shift>();
    for (const row of shiftRows.filter((s) => s.postId === postId)) {
      const shift = shifts.get(row.id) ?? { ...row, officerIds: [] };
      if (row.officerId) shift.officerIds.push(row.officerId);
      shifts.set(row.id, shift);
    }
    return {
      postId,
      shifts: [...shifts.values()],
      overrides: overrideRows.filter((o) => o.postId === postId),
      candidates,
    };
  };
  const withWhy = (why: DutyWhy): OnDutyOfficer | undefined => {
    const o = byId.get(why.officerId);
    return (
      o && {
        id: o.id,
        displayName: o.displayName,
        phoneEnc: o.phoneEnc,
        lastNotifiedAt: o.lastNotifiedAt,
        why,
      }
    );
  };
  const onDuty = (postId: string) =>
    onDutyAt(postDuty(postId), at)
      .map(withWhy)
      .filter((o): o is OnDutyOfficer => o !== undefined);
  const fallbackAs = (via: FallbackVia, ids: string[]) =>
    ids
      .map((officerId) => withWhy({ officerId, reason: "fallback", via }))
      .filter((o): o is OnDutyOfficer => o !== undefined);

  for (const post of asked) {
    const found = onDuty(post.id);
    if (found.length > 0) {
      answers.set(post.id, { officers: found, fallback: false });
      continue;
    }
    const desk = desks.find((d) => d.stationId === post.stationId);
    const chain: (() => OnDutyOfficer[])[] = [
      () => fallbackAs("supervisor", post.fallbackOfficerId ? [post.fallbackOfficerId] : []),
      () =>
        desk && desk.id !== post.id
          ? fallbackAs(
              "duty_desk",
              onDuty(desk.id).map((o) => o.id),
            )
          : [],
      () =>
        fallbackAs(
          "duty_desk",
          candidates.filter((o) => desk && o.postId === desk.id).map((o) => o.id),
        ),
      () =>
        fallbackAs(
          "supervisor",
          candidates
            .filter((o) => o.stationId === post.stationId && o.role === "supervisor")
            .map((o) => o.id),
        ),
    ];
    let fallback: OnDutyOfficer[] = [];
    for (const step of chain) {
      fallback = step();
      if (fallback.length > 0) break;
    }
    answers.set(post.id, { officers: fallback, fallback: true });
  }
  return answers;
}

/** The officers `dutyAt` pages at the post (reachable ones), or none for an unknown post. */
export function recipientsOf(answers: Map<string, PostDutyAnswer>, postId: string | null): OnDutyOfficer[] {
  return postId ? (answers.get(postId)?.officers ?? []) : [];
}

/**
 * Of these officers, those who would still be paged now for the post of at least one alert they have a
 * pending notice for: the flush and its re-drive send only to them; the others' notices wait (an officer who
 * went off duty or on leave since the alert came is not texted).
 */
export async function stillPaged(executor: Executor, officerIds: string[], at: Date): Promise<Set<string>> {
  const paged = new Set<string>();
  if (officerIds.length === 0) return paged;
  const pending = await executor
    .selectDistinct({ officerId: officerNotices.officerId, postId: alerts.postId })
    .from(officerNotices)
    .innerJoin(alerts, eq(alerts.id, officerNotices.alertId))
    .where(and(inArray(officerNotices.officerId, officerIds), isNull(officerNotices.messageId)));
  const postIds = [...new Set(pending.map((p) => p.postId).filter((p): p is string => p !== null))];
  const answers = await dutyAt(executor, postIds, at, { reachable: true });
  for (const { officerId, postId } of pending) {
    if (recipientsOf(answers, postId).some((o) => o.id === officerId)) paged.add(officerId);
  }
  return paged;
}
