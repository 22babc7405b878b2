import { eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, officerNotices, officers } from "../../schema";
import { drainWith } from "../alerts/support";
import { tokenFor } from "../support/access";
import { aSubjectPhone, type Problem, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

/**
 * The test clock starts at 2026-11-28T02:00Z: Saturday 10:00 in Beijing. The roster below has a Friday night
 * shift that runs past midnight to Saturday 12:00 (庙工's officer) and a Saturday afternoon shift (二工's
 * officer covering 庙工); Saturday evening nobody is rostered.
 */
const MIAOGONG = "pst_miaogong";
const ROSTER = {
  shifts: [
    { dayOfWeek: 5, startMinute: 20 * 60, endMinute: 12 * 60, officerIds: ["off_miaogong"] },
    { dayOfWeek: 6, startMinute: 12 * 60, endMinute: 20 * 60, officerIds: ["off_ergong"] },
  ],
};

async function call(ctx: TestContext, caller: string, method: string, path: string, body?: unknown) {
  const res = await send(ctx, await tokenFor(ctx, caller), method, path, body);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function onDuty(ctx: TestContext, at?: string) {
  const query = at ? `?at=${encodeURIComponent(at)}` : "";
  const { status, body } = await call(ctx, "supervisor", "GET", `/v1/posts/${MIAOGONG}/on-duty${query}`);
  expect(status).toBe(200);
  return {
    fallback: body.fallback as boolean,
    who: (body.officers as { officerId: string; reason: string; via?: string }[]).map((o) =>
      o.via ? `${o.officerId}:${o.reason}:${o.via}` : `${o.officerId}:${o.reason}`,
    ),
  };
}

async function withRoster(ctx: TestContext) {
  const put = await call(ctx, "admin", "PUT", `/v1/posts/${MIAOGONG}/roster`, ROSTER);
  expect(put.status).toBe(200);
  return put.body;
}

const actions = async (ctx: TestContext) =>
  (await ctx.deps.db.select().from(auditLog)).map((a) => `${a.action} ${a.targetId} by ${a.officerId}`);

describe("duty rosters", () => {
  it("lets an admin write a weekly roster that supervisors read, audited", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });

    const written = await withRoster(ctx);

    expect(written.shifts).toEqual([
      expect.objectContaining({
        dayOfWeek: 5,
        startMinute: 1200,
        endMinute: 720,
        officerIds: ["off_miaogong"],
      }),
      expect.objectContaining({
        dayOfWeek: 6,
        startMinute: 720,
        endMinute: 1200,
        officerIds: ["off_ergong"],
      }),
    ]);
    const read = await call(ctx, "supervisor", "GET", `/v1/posts/${MIAOGONG}/roster`);
    expect(read.body).toEqual(written);
    expect(await actions(ctx)).toEqual([`roster.replaced ${MIAOGONG} by off_admin`]);
  });

  it("answers who is on duty now and at T, across midnight, and the fallback when nobody is", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    // Before any roster: the post's officers whose switch is on, as before rosters.
    expect(await onDuty(ctx)).toEqual({ fallback: false, who: ["off_miaogong:no_roster"] });
    await withRoster(ctx);

    // Saturday 10:00: the Friday 20:00–12:00 shift is still on.
    expect(await onDuty(ctx)).toEqual({ fallback: false, who: ["off_miaogong:shift"] });
    expect(await onDuty(ctx, "2026-11-27T23:59:00+08:00")).toEqual({
      fallback: false,
      who: ["off_miaogong:shift"],
    });
    expect(await onDuty(ctx, "2026-11-28T12:00:00+08:00")).toEqual({
      fallback: false,
      who: ["off_ergong:shift"],
    });
    expect(await onDuty(ctx, "2026-11-28T21:00:00+08:00")).toEqual({
      fallback: true,
      who: ["off_duty:fallback:duty_desk"],
    });
    // A week later the same.
    expect(await onDuty(ctx, "2026-12-05T11:59:00+08:00")).toEqual({
      fallback: false,
      who: ["off_miaogong:shift"],
    });
  });

  it("puts a covering officer on and an officer on leave off, while the override lasts", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    await withRoster(ctx);
    const path = `/v1/posts/${MIAOGONG}/roster/overrides`;

    const cover = await call(ctx, "admin", "POST", path, {
      officerId: "off_duty",
      kind: "cover",
      startsAt: "2026-11-28T19:00:00+08:00",
      endsAt: "2026-11-29T07:00:00+08:00",
    });
    const leave = await call(ctx, "admin", "POST", path, {
      officerId: "off_miaogong",
      kind: "leave",
      startsAt: "2026-11-28T09:00:00+08:00",
      endsAt: "2026-11-28T11:00:00+08:00",
    });

    expect([cover.status, leave.status]).toEqual([201, 201]);
    expect(await onDuty(ctx, "2026-11-28T22:00:00+08:00")).toEqual({
      fallback: false,
      who: ["off_duty:override"],
    });
    expect(await onDuty(ctx)).toMatchObject({ fallback: true });
    expect(await onDuty(ctx, "2026-11-28T11:00:00+08:00")).toEqual({
      fallback: false,
      who: ["off_miaogong:shift"],
    });
    const listed = await call(ctx, "supervisor", "GET", path);
    expect(listed.body.overrides.map((o: { id: string }) => o.id)).toEqual([leave.body.id, cover.body.id]);

    expect((await call(ctx, "admin", "DELETE", `${path}/${leave.body.id}`)).status).toBe(204);
    expect(await onDuty(ctx)).toEqual({ fallback: false, who: ["off_miaogong:shift"] });
    expect((await call(ctx, "admin", "DELETE", `${path}/${leave.body.id}`)).status).toBe(404);
    expect(await actions(ctx)).toEqual([
      `roster.replaced ${MIAOGONG} by off_admin`,
      `roster_override.created ${cover.body.id} by off_admin`,
      `roster_override.created ${leave.body.id} by off_admin`,
      `roster_override.deleted ${leave.body.id} by off_admin`,
    ]);
  });

  it("sends the notice of an alert at a post where nobody is on duty to the duty desk, never to nobody", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    await withRoster(ctx);
    await call(ctx, "admin", "POST", `/v1/posts/${MIAOGONG}/roster/overrides`, {
      officerId: "off_miaogong",
      kind: "leave",
      startsAt: "2026-11-28T00:00:00+08:00",
      endsAt: "2026-11-29T00:00:00+08:00",
    });

    await ctx.postWarnings({
      warnings: [aWarning({ subject: { phone: aSubjectPhone() }, area: { code: "652301105201" } })],
    });
    await drainWith(ctx.deps, ["alert-push"]);

    const notices = await ctx.deps.db.select().from(officerNotices).where(isNull(officerNotices.messageId));
    expect(notices.map((n) => n.officerId)).toEqual(["off_duty"]);
  });

  it("pages the post's named supervisor when nobody is on duty, once one is set", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    await ctx.deps.db
      .update(officers)
      .set({
        phoneEnc: ctx.deps.pii.encrypt("+8613999001009"),
        phoneHash: ctx.deps.pii.hash("+8613999001009"),
      })
      .where(eq(officers.id, "off_supervisor"));
    await call(ctx, "admin", "PUT", `/v1/posts/${MIAOGONG}/roster`, {
      ...ROSTER,
      fallbackOfficerId: "off_supervisor",
    });

    expect(await onDuty(ctx, "2026-11-28T21:00:00+08:00")).toEqual({
      fallback: true,
      who: ["off_supervisor:fallback:supervisor"],
    });
  });

  describe.each([
    [
      "a start minute past the day",
      { dayOfWeek: 1, startMinute: 1440, endMinute: 60 },
      "shifts.0.startMinute",
    ],
    ["a day of the week 0", { dayOfWeek: 0, startMinute: 60, endMinute: 120 }, "shifts.0.dayOfWeek"],
    ["a shift of no length", { dayOfWeek: 1, startMinute: 60, endMinute: 60 }, "shifts.0.endMinute"],
    ["a fractional minute", { dayOfWeek: 1, startMinute: 60.5, endMinute: 120 }, "shifts.0.startMinute"],
  ])("refuses %s with a 400 naming the field", (_, shift, field) => {
    it("and writes nothing", async () => {
      const ctx = await createTestContext({ clock: new ManualClock() });
      const res = await call(ctx, "admin", "PUT", `/v1/posts/${MIAOGONG}/roster`, {
        shifts: [{ ...shift, officerIds: ["off_miaogong"] }],
      });
      expect(res.status).toBe(400);
      expect((res.body as Problem).errors?.map((e) => e.path)).toContain(field);
      expect(await actions(ctx)).toEqual([]);
    });
  });

  it("refuses overlapping shifts of one officer, unknown officers and a plain officer as fallback", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    const put = (body: unknown) => call(ctx, "admin", "PUT", `/v1/posts/${MIAOGONG}/roster`, body);
    const paths = (res: { body: Problem }) => res.body.errors?.map((e) => e.path);

    const overlapping = await put({
      shifts: [
        ROSTER.shifts[0],
        { dayOfWeek: 6, startMinute: 6 * 60, endMinute: 14 * 60, officerIds: ["off_miaogong"] },
      ],
    });
    const unknown = await put({
      shifts: [{ ...ROSTER.shifts[0], officerIds: ["off_miaogong", "off_other"] }],
    });
    const fallback = await put({ shifts: [], fallbackOfficerId: "off_ergong" });

    expect([overlapping.status, unknown.status, fallback.status]).toEqual([400, 400, 400]);
    expect(paths(overlapping)).toEqual(["shifts.1"]);
    expect(paths(unknown)).toEqual(["shifts.0.officerIds.1"]);
    expect(paths(fallback)).toEqual(["fallbackOfficerId"]);
    const badOverride = await call(ctx, "admin", "POST", `/v1/posts/${MIAOGONG}/roster/overrides`, {
      officerId: "off_duty",
      kind: "cover",
      startsAt: "2026-11-28T19:00:00+08:00",
      endsAt: "2026-11-28T18:00:00+08:00",
    });
    expect(paths(badOverride)).toEqual(["endsAt"]);
    const badAt = await call(ctx, "supervisor", "GET", `/v1/posts/${MIAOGONG}/on-duty?at=tomorrow`);
    expect([badAt.status, paths(badAt)]).toEqual([400, ["at"]]);
    expect((await call(ctx, "supervisor", "GET", "/v1/posts/pst_nowhere/on-duty")).status).toBe(404);
  });

  it("lets an officer mark themselves off duty only while someone else stays on, and back on, audited", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    await withRoster(ctx);

    const alone = await call(ctx, "miaogong", "POST", "/v1/officers/me/duty", { onDuty: false });

    expect(alone.status).toBe(409);
    expect(alone.body.detail).toContain("only officer on duty at 庙工村警务室");
    await call(ctx, "admin", "POST", `/v1/posts/${MIAOGONG}/roster/overrides`, {
      officerId: "off_duty",
      kind: "cover",
      startsAt: "2026-11-28T09:00:00+08:00",
      endsAt: "2026-11-28T12:00:00+08:00",
    });
    const off = await call(ctx, "miaogong", "POST", "/v1/officers/me/duty", { onDuty: false });
    expect(off).toEqual({ status: 200, body: { onDuty: false, onDutyAt: [] } });
    expect(await onDuty(ctx)).toEqual({ fallback: false, who: ["off_duty:override"] });
    const on = await call(ctx, "miaogong", "POST", "/v1/officers/me/duty", { onDuty: true });
    expect(on).toEqual({ status: 200, body: { onDuty: true, onDutyAt: [MIAOGONG] } });
    const marks = (await actions(ctx)).filter((a) => a.startsWith("officer."));
    expect(marks).toEqual([
      "officer.marked_off_duty off_miaogong by off_miaogong",
      "officer.marked_on_duty off_miaogong by off_miaogong",
    ]);
    expect((await call(ctx, "miaogong", "POST", "/v1/officers/me/duty", { onDuty: "yes" })).status).toBe(400);
  });

  it("answers another station's post as if it did not exist, and refuses roster changes to officers", async () => {
    const ctx = await createTestContext({ clock: new ManualClock() });
    await withRoster(ctx);
    const before = await actions(ctx);

    for (const [method, path] of [
      ["GET", `/v1/posts/${MIAOGONG}/roster`],
      ["PUT", `/v1/posts/${MIAOGONG}/roster`],
      ["GET", `/v1/posts/${MIAOGONG}/on-duty`],
      ["GET", `/v1/posts/${MIAOGONG}/roster/overrides`],
    ] as const) {
      const res = await call(ctx, "otheradmin", method, path, method === "PUT" ? ROSTER : undefined);
      expect([path, res.status]).toEqual([path, 404]);
    }
    expect((await call(ctx, "miaogong", "PUT", `/v1/posts/${MIAOGONG}/roster`, ROSTER)).status).toBe(403);
    expect((await call(ctx, "miaogong", "GET", `/v1/posts/${MIAOGONG}/roster`)).status).toBe(403);
    expect((await call(ctx, "supervisor", "PUT", `/v1/posts/${MIAOGONG}/roster`, ROSTER)).status).toBe(403);
    const cover = {
      officerId: "off_duty",
      kind: "cover",
      startsAt: "2026-11-28T09:00:00+08:00",
      endsAt: "2026-11-28T12:00:00+08:00",
    };
    expect(
      (await call(ctx, "miaogong", "POST", `/v1/posts/${MIAOGONG}/roster/overrides`, cover)).status,
    ).toBe(403);
    expect((await call(ctx, "anonymous", "GET", `/v1/posts/${MIAOGONG}/on-duty`)).status).toBe(401);
    // Any officer of the station may see who is on duty.
    expect((await call(ctx, "ergong", "GET", `/v1/posts/${MIAOGONG}/on-duty`)).status).toBe(200);
    expect(await actions(ctx)).toEqual(before);
  });
});
