import { shanghaiDate, shanghaiMinuteOfDay } from "../calendar";

/**
 * Who is on duty at one post at one instant: the one answer paging, the API and the console ask
 * (src/organisation/on-duty.ts loads the rows and calls it). Pure, so it is tested with fixed instants.
 *
 * The rule, in order:
 * 1. A post **with a roster** (at least one weekly shift): an officer is rostered at T when a shift they are
 *    assigned to covers T (Asia/Shanghai time, a shift may run past midnight), or a `cover` override of this
 *    post covers T.
 *    A post **without a roster** keeps the behaviour from before rosters: its officers whose on-duty switch is
 *    on, plus any `cover` override. Existing stations see no change until an admin writes a roster.
 * 2. A `leave` override of this post covering T takes the officer off, whatever put them on.
 * 3. The officer's own switch (officers.on_duty, set from the console or POST /v1/officers/me/duty) applies
 *    last: a rostered officer who marked themselves off duty is off. The switch cannot put an officer on
 *    duty outside their shifts and covers; marking off is refused while it would leave the post with nobody
 *    on duty (src/organisation/duty-self.ts), so stepping away never silently sends the post to its fallback.
 * 4. Nobody left: the post's fallback takes the notices, never nobody (src/organisation/on-duty.ts chooses it:
 *    the post's named supervisor, else the station's duty desk).
 */

export interface Shift {
  id: string;
  /** ISO day of the week, 1 Monday … 7 Sunday, of the day the shift starts. */
  dayOfWeek: number;
  /** Minutes after Asia/Shanghai midnight, 0–1439. */
  startMinute: number;
  /** 1–1440; not after the start: the shift ends the next day. */
  endMinute: number;
  officerIds: string[];
}

export interface Override {
  id: string;
  officerId: string;
  kind: "cover" | "leave";
  startsAt: Date;
  endsAt: Date;
}

/** An officer who might be on duty here: the post's own, and anyone a shift or override names. */
export interface Candidate {
  id: string;
  postId: string | null;
  /** The officer's own switch. */
  onDuty: boolean;
}

export type DutyReason =
  | { officerId: string; reason: "shift"; shiftId: string }
  | { officerId: string; reason: "override"; overrideId: string }
  | { officerId: string; reason: "no_roster" };

export interface PostDuty {
  postId: string;
  shifts: Shift[];
  overrides: Override[];
  candidates: Candidate[];
}

/** ISO day of the week (1 Monday … 7 Sunday) of the Asia/Shanghai day holding `at`. */
export function shanghaiDayOfWeek(at: Date): number {
  const sunday0 = new Date(`${shanghaiDate(at)}T00:00:00Z`).getUTCDay();
  return sunday0 === 0 ? 7 : sunday0;
}

/** Whether the weekly shift covers the instant, including the part of a night shift after midnight. */
export function shiftCovers(
  shift: Pick<Shift, "dayOfWeek" | "startMinute" | "endMinute">,
  at: Date,
): boolean {
  const day = shanghaiDayOfWeek(at);
  const minute = shanghaiMinuteOfDay(at);
  if (shift.endMinute > shift.startMinute) {
    return day === shift.dayOfWeek && minute >= shift.startMinute && minute < shift.endMinute;
  }
  const nextDay = (shift.dayOfWeek % 7) + 1;
  return (
    (day === shift.dayOfWeek && minute >= shift.startMinute) || (day === nextDay && minute < shift.endMinute)
  );
}

const overrideCovers = (o: Override, at: Date) =>
  o.startsAt.getTime() <= at.getTime() && at.getTime() < o.endsAt.getTime();

/**
 * Who the roster puts on duty at `at`, before the officers' own switches: each officer once, with the first
 * reason found (a shift before a cover). Leave is already taken off.
 */
export function rosteredAt(post: PostDuty, at: Date): DutyReason[] {
  const onLeave = new Set(
    post.overrides.filter((o) => o.kind === "leave" && overrideCovers(o, at)).map((o) => o.officerId),
  );
  const found = new Map<string, DutyReason>();
  const add = (reason: DutyReason) => {
    if (!onLeave.has(reason.officerId) && !found.has(reason.officerId)) found.set(reason.officerId, reason);
  };
  if (post.shifts.length > 0) {
    for (const shift of post.shifts) {
      if (!shiftCovers(shift, at)) continue;
      for (const officerId of shift.officerIds) add({ officerId, reason: "shift", shiftId: shift.id });
    }
  } else {
    for (const c of post.candidates) {
      if (c.postId === post.postId) add({ officerId: c.id, reason: "no_roster" });
    }
  }
  for (const o of post.overrides) {
    if (o.kind === "cover" && overrideCovers(o, at))
      add({ officerId: o.officerId, reason: "override", overrideId: o.id });
  }
  return [...found.values()];
}

/** Who is on duty at the post at `at`: rostered, not on leave, switch on. Empty means the fallback's turn. */
export function onDutyAt(post: PostDuty, at: Date): DutyReason[] {
  const switchedOn = new Set(post.candidates.filter((c) => c.onDuty).map((c) => c.id));
  return rosteredAt(post, at).filter((r) => switchedOn.has(r.officerId));
}

/** Two weekly shifts overlap when some instant of the week is in both (night shifts included). */
export function shiftsOverlap(
  a: Pick<Shift, "dayOfWeek" | "startMinute" | "endMinute">,
  b: Pick<Shift, "dayOfWeek" | "startMinute" | "endMinute">,
): boolean {
  const WEEK = 7 * 1440;
  const span = (s: typeof a): [number, number] => {
    const start = (s.dayOfWeek - 1) * 1440 + s.startMinute;
    const length =
      s.endMinute > s.startMinute ? s.endMinute - s.startMinute : 1440 - s.startMinute + s.endMinute;
    return [start, start + length];
  };
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  // Compare on the week's circle: b shifted a week either way covers Sunday night into Monday.
  return [-WEEK, 0, WEEK].some((shift) => a0 < b1 + shift && b0 + shift < a1);
}
