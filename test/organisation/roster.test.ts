import { describe, expect, it } from "vitest";
import {
  type Candidate,
  onDutyAt,
  type PostDuty,
  shanghaiDayOfWeek,
  shiftCovers,
  shiftsOverlap,
} from "../../src/organisation/roster";

/** Beijing wall-clock time as an instant: "2026-12-07 22:00" is Monday 22:00 in Asia/Shanghai. */
const bj = (local: string) => new Date(`${local.replace(" ", "T")}:00+08:00`);

const NIGHT = {
  id: "rsh_night",
  dayOfWeek: 1,
  startMinute: 20 * 60,
  endMinute: 8 * 60,
  officerIds: ["off_a"],
};
const DAY = { id: "rsh_day", dayOfWeek: 2, startMinute: 8 * 60, endMinute: 20 * 60, officerIds: ["off_b"] };
const officer = (id: string, over: Partial<Candidate> = {}): Candidate => ({
  id,
  postId: "pst_p",
  onDuty: true,
  ...over,
});
const post = (over: Partial<PostDuty> = {}): PostDuty => ({
  postId: "pst_p",
  shifts: [NIGHT, DAY],
  overrides: [],
  candidates: [officer("off_a"), officer("off_b"), officer("off_c")],
  ...over,
});
const who = (p: PostDuty, at: string) => onDutyAt(p, bj(at)).map((r) => [r.officerId, r.reason]);

describe("the roster's answer to who is on duty", () => {
  it("reads the day of the week and the time of day in Beijing, not UTC", () => {
    // Monday 03:00 in Beijing is still Sunday in UTC.
    expect(shanghaiDayOfWeek(bj("2026-12-07 03:00"))).toBe(1);
    expect(shanghaiDayOfWeek(bj("2026-12-13 23:59"))).toBe(7);
  });

  it("keeps a night shift on duty past midnight and ends it at its end minute", () => {
    expect(shiftCovers(NIGHT, bj("2026-12-07 19:59"))).toBe(false);
    expect(shiftCovers(NIGHT, bj("2026-12-07 20:00"))).toBe(true);
    expect(shiftCovers(NIGHT, bj("2026-12-08 00:00"))).toBe(true);
    expect(shiftCovers(NIGHT, bj("2026-12-08 07:59"))).toBe(true);
    expect(shiftCovers(NIGHT, bj("2026-12-08 08:00"))).toBe(false);
    // A week later it comes round again; the Sunday night shift runs into Monday morning.
    expect(shiftCovers(NIGHT, bj("2026-12-14 21:00"))).toBe(true);
    const sunday = { dayOfWeek: 7, startMinute: 22 * 60, endMinute: 6 * 60 };
    expect(shiftCovers(sunday, bj("2026-12-14 05:00"))).toBe(true);
    expect(shiftCovers(sunday, bj("2026-12-08 05:00"))).toBe(false);
  });

  it("hands over from the night shift to the day shift at 08:00", () => {
    expect(who(post(), "2026-12-08 07:30")).toEqual([["off_a", "shift"]]);
    expect(who(post(), "2026-12-08 08:00")).toEqual([["off_b", "shift"]]);
  });

  it("answers nobody outside every shift, so the post's fallback is paged", () => {
    expect(who(post(), "2026-12-09 12:00")).toEqual([]);
  });

  it("puts a covering officer on duty and takes one on leave off, only while the override lasts", () => {
    const overrides = [
      {
        id: "rov_cover",
        officerId: "off_c",
        kind: "cover" as const,
        startsAt: bj("2026-12-09 09:00"),
        endsAt: bj("2026-12-09 18:00"),
      },
      {
        id: "rov_leave",
        officerId: "off_a",
        kind: "leave" as const,
        startsAt: bj("2026-12-07 00:00"),
        endsAt: bj("2026-12-08 00:00"),
      },
    ];
    const p = post({ overrides });
    expect(who(p, "2026-12-09 12:00")).toEqual([["off_c", "override"]]);
    expect(who(p, "2026-12-09 18:00")).toEqual([]);
    expect(who(p, "2026-12-07 23:00")).toEqual([]);
    // The leave ends at midnight; the rest of the night shift is worked.
    expect(who(p, "2026-12-08 00:00")).toEqual([["off_a", "shift"]]);
  });

  it("lets an officer's own switch take them off during their shift, never on outside it", () => {
    const p = post({ candidates: [officer("off_a", { onDuty: false }), officer("off_b"), officer("off_c")] });
    expect(who(p, "2026-12-07 22:00")).toEqual([]);
    expect(who(p, "2026-12-08 12:00")).toEqual([["off_b", "shift"]]);
    // off_c's switch is on, but no shift or cover of theirs covers the time.
    expect(who(post(), "2026-12-08 12:00").map(([id]) => id)).not.toContain("off_c");
  });

  it("keeps a post without a roster on the old rule: its officers whose switch is on", () => {
    const p = post({
      shifts: [],
      candidates: [
        officer("off_a"),
        officer("off_b", { onDuty: false }),
        officer("off_x", { postId: "pst_q" }),
      ],
    });
    expect(who(p, "2026-12-09 12:00")).toEqual([["off_a", "no_roster"]]);
  });

  it("finds two shifts overlapping on the week's circle, night shifts and Sunday into Monday included", () => {
    expect(shiftsOverlap(NIGHT, DAY)).toBe(false);
    expect(shiftsOverlap(NIGHT, { dayOfWeek: 2, startMinute: 7 * 60, endMinute: 9 * 60 })).toBe(true);
    expect(
      shiftsOverlap(
        { dayOfWeek: 7, startMinute: 1200, endMinute: 480 },
        { ...DAY, dayOfWeek: 1, startMinute: 0, endMinute: 60 },
      ),
    ).toBe(true);
    expect(
      shiftsOverlap(
        { dayOfWeek: 1, startMinute: 0, endMinute: 1440 },
        { dayOfWeek: 2, startMinute: 0, endMinute: 60 },
      ),
    ).toBe(false);
  });
});
