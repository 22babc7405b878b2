import { describe, expect, it } from "vitest";
import { shanghaiDate } from "../../src/calendar";
import {
  type ActiveCampaign,
  chooseCampaign,
  decideReminder,
  fullCap,
  nextTemplate,
} from "../../src/parcels/decide";
import { nextSendingTime, withinSendingHours } from "../../src/parcels/local-time";
import { maskParcelPhone } from "../../src/parcels/mask";
import { parseCaps, parseSendingHours } from "../../src/parcels/policy";

const caps = parseCaps("1/1d,2/7d");
const hours = parseSendingHours("10:00-21:00");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);

function aCampaign(overrides: Partial<ActiveCampaign> = {}): ActiveCampaign {
  return {
    id: "cmp_a",
    areaPrefixes: ["652301"],
    startsOn: "2026-01-01",
    endsOn: "2026-12-31",
    priority: 0,
    templates: [{ id: "tpl_a", body: "【昌吉公安】A拒收请回复R", uses: 0 }],
    ...overrides,
  };
}

describe("frequency caps", () => {
  const now = ms("2026-11-28T12:00:00+08:00");

  it("allows a first reminder", () => {
    expect(fullCap([], now, caps)).toBeUndefined();
  });

  it("refuses a second reminder one millisecond short of a day, and allows it at exactly a day", () => {
    expect(fullCap([now - DAY + 1], now, caps)?.name).toBe("1d");
    expect(fullCap([now - DAY], now, caps)).toBeUndefined();
  });

  it("counts a reminder reserved for later (a deferred one) against the day", () => {
    expect(fullCap([now + 20 * HOUR], now, caps)?.name).toBe("1d");
    expect(fullCap([now + DAY], now, caps)).toBeUndefined();
  });

  it("refuses a third reminder within seven days even when each day has only one", () => {
    expect(fullCap([now - 6 * DAY, now - 3 * DAY], now, caps)?.name).toBe("7d");
  });

  it("allows the third reminder once the first is exactly seven days old", () => {
    expect(fullCap([now - 7 * DAY, now - 3 * DAY], now, caps)).toBeUndefined();
    expect(fullCap([now - 7 * DAY + 1, now - 3 * DAY], now, caps)?.name).toBe("7d");
  });

  it("looks at every seven-day period containing the new reminder, not only the one ending now", () => {
    // Reminders 4 days before and 4 days after: no 7-day period holds all three... but [now-4d, now+3d) holds two.
    expect(fullCap([now - 4 * DAY, now + 4 * DAY], now, caps)).toBeUndefined();
    expect(fullCap([now - 4 * DAY, now + 2 * DAY], now, caps)?.name).toBe("7d");
  });
});

describe("sending hours (Asia/Shanghai)", () => {
  it.each([
    ["2026-11-28T09:59:59.999+08:00", "2026-11-28T10:00:00+08:00"],
    ["2026-11-28T10:00:00+08:00", "2026-11-28T10:00:00+08:00"],
    ["2026-11-28T20:59:59+08:00", "2026-11-28T20:59:59+08:00"],
    ["2026-11-28T21:00:00+08:00", "2026-11-29T10:00:00+08:00"],
    ["2026-11-28T23:30:00+08:00", "2026-11-29T10:00:00+08:00"],
    ["2026-11-29T00:00:00+08:00", "2026-11-29T10:00:00+08:00"],
    ["2026-11-29T02:15:00+08:00", "2026-11-29T10:00:00+08:00"],
    ["2026-12-31T22:00:00+08:00", "2027-01-01T10:00:00+08:00"],
  ])("a reminder decided at %s goes at %s", (decided, goes) => {
    expect(nextSendingTime(at(decided), hours).toISOString()).toBe(at(goes).toISOString());
  });

  it("handles a window that spans midnight", () => {
    const night = parseSendingHours("20:00-02:00");
    expect(withinSendingHours(at("2026-11-28T23:00:00+08:00"), night)).toBe(true);
    expect(withinSendingHours(at("2026-11-29T01:59:00+08:00"), night)).toBe(true);
    expect(nextSendingTime(at("2026-11-29T02:00:00+08:00"), night).toISOString()).toBe(
      at("2026-11-29T20:00:00+08:00").toISOString(),
    );
  });

  it("allows the whole day with 00:00-24:00", () => {
    const always = parseSendingHours("00:00-24:00");
    expect(withinSendingHours(at("2026-11-28T03:00:00+08:00"), always)).toBe(true);
  });

  it("dates by the Shanghai calendar, not UTC", () => {
    expect(shanghaiDate(at("2026-11-28T16:30:00Z"))).toBe("2026-11-29");
  });
});

describe("the decision", () => {
  const input = {
    now: at("2026-11-28T10:30:00+08:00"),
    attach: false,
    areaCode: "652301105201",
    optedOut: false,
    reservedAt: [] as number[],
  };
  const policy = { caps, hours };

  it("schedules now inside the sending hours", () => {
    const d = decideReminder(input, [aCampaign()], policy);
    expect(d).toMatchObject({ decision: "scheduled", reason: null, campaignId: "cmp_a" });
  });

  it("suppresses an opted-out recipient before anything else", () => {
    expect(
      decideReminder({ ...input, optedOut: true, reservedAt: [ms("2026-11-28T09:00:00+08:00")] }, [], policy),
    ).toEqual({ decision: "suppressed", reason: "opted_out" });
  });

  it("suppresses as capped before looking for a campaign", () => {
    const d = decideReminder({ ...input, reservedAt: [ms("2026-11-28T09:00:00+08:00")] }, [], policy);
    expect(d).toEqual({ decision: "suppressed", reason: "capped_1d" });
  });

  it("suppresses when no campaign targets the area", () => {
    const d = decideReminder({ ...input, areaCode: "110101" }, [aCampaign()], policy);
    expect(d).toEqual({ decision: "suppressed", reason: "no_campaign" });
  });

  it("says the campaign has no template when one targets the area but has none to send", () => {
    const d = decideReminder(input, [aCampaign({ templates: [] })], policy);
    expect(d).toEqual({ decision: "suppressed", reason: "no_template" });
    // Elsewhere it is still that no campaign targets the area.
    expect(decideReminder({ ...input, areaCode: "110101" }, [aCampaign({ templates: [] })], policy)).toEqual({
      decision: "suppressed",
      reason: "no_campaign",
    });
  });

  it("defers at night to the next window and picks the campaign running on that day", () => {
    const d = decideReminder(
      { ...input, now: at("2026-12-31T22:00:00+08:00") },
      [
        aCampaign({ endsOn: "2026-12-31" }),
        aCampaign({ id: "cmp_2027", startsOn: "2027-01-01", endsOn: "2027-12-31" }),
      ],
      policy,
    );
    expect(d).toMatchObject({ decision: "deferred", reason: "quiet_hours", campaignId: "cmp_2027" });
    expect(d.decision !== "suppressed" && d.sendAt.toISOString()).toBe(
      at("2027-01-01T10:00:00+08:00").toISOString(),
    );
  });

  it("attaches at night for attach partners: the text rides on their own notification", () => {
    const d = decideReminder(
      { ...input, attach: true, now: at("2026-11-28T23:00:00+08:00") },
      [aCampaign()],
      policy,
    );
    expect(d).toMatchObject({ decision: "attached", template: { id: "tpl_a" } });
  });
});

describe("campaign choice", () => {
  const date = "2026-11-28";

  it("takes the highest priority first, even with a less specific area", () => {
    const standing = aCampaign({ id: "cmp_standing", areaPrefixes: ["652301105201"], priority: 0 });
    const urgent = aCampaign({ id: "cmp_urgent", areaPrefixes: [], priority: 10 });
    expect(chooseCampaign([standing, urgent], "652301105201", date)?.id).toBe("cmp_urgent");
  });

  it("breaks a priority tie by the longest matching prefix", () => {
    const county = aCampaign({ id: "cmp_county", areaPrefixes: ["652301"] });
    const village = aCampaign({ id: "cmp_village", areaPrefixes: ["6523", "652301105201"] });
    expect(chooseCampaign([county, village], "652301105201", date)?.id).toBe("cmp_village");
    expect(chooseCampaign([county, village], "652301105202", date)?.id).toBe("cmp_county");
  });

  it("skips campaigns outside their dates and campaigns without templates", () => {
    const ended = aCampaign({ id: "cmp_ended", endsOn: "2026-11-27", priority: 5 });
    const empty = aCampaign({ id: "cmp_empty", templates: [], priority: 5 });
    const later = aCampaign({ id: "cmp_later", startsOn: "2026-11-29", priority: 5 });
    const running = aCampaign({ id: "cmp_running" });
    expect(chooseCampaign([ended, empty, later, running], "652301", date)?.id).toBe("cmp_running");
    expect(chooseCampaign([ended, empty, later], "652301", date)).toBeUndefined();
  });
});

describe("template rotation", () => {
  it("uses templates evenly, least used first", () => {
    const campaign = aCampaign({
      templates: [
        { id: "tpl_1", body: "a", uses: 5 },
        { id: "tpl_2", body: "b", uses: 3 },
        { id: "tpl_3", body: "c", uses: 3 },
      ],
    });
    const picks = Array.from({ length: 7 }, () => nextTemplate(campaign).id);
    expect(picks).toEqual(["tpl_2", "tpl_3", "tpl_2", "tpl_3", "tpl_1", "tpl_2", "tpl_3"]);
    expect(campaign.templates.map((t) => t.uses)).toEqual([6, 6, 6]);
  });
});

describe("parcel phone mask", () => {
  it.each([
    ["+8613800138000", "138******00"],
    ["+869942345678", "99******78"],
    ["+85291234567", "852******67"],
  ])("hides at least six digits of %s", (phone, masked) => {
    expect(maskParcelPhone(phone)).toBe(masked);
    expect((maskParcelPhone(phone).match(/\*/g) ?? []).length).toBeGreaterThanOrEqual(6);
  });
});

describe("policy settings", () => {
  it.each(["", "1/day", "0/1d", "1/1d,2/1d", "x"])("refuses caps %j", (text) => {
    expect(() => parseCaps(text)).toThrow();
  });
  it.each(["10-21", "25:00-26:00", "10:00-10:00", "10:60-21:00"])("refuses hours %j", (text) => {
    expect(() => parseSendingHours(text)).toThrow();
  });
});
