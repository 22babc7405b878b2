import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, auditLog, officers, posts, sessions } from "../../schema";
import { expectRejectsTheWrongCaller, NOT_LOGGED_IN, tokenFor, type WrongCaller } from "../support/access";
import { aSubjectPhone, type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { acknowledged, act, alertRow, problem } from "./verify-support";

/**
 * What issue 16 found missing from the API an admin console needs: editing an officer (name, phone, post,
 * role), enabling one again, setting who is on duty, disabling a post without losing its history, and
 * filtering the audit log by target kind and time. Each change audited; another station's rows are 404.
 */
const NOT_ADMINS: WrongCaller[] = [
  ...NOT_LOGGED_IN,
  { caller: "miaogong", status: 403, code: "FORBIDDEN" },
  { caller: "supervisor", status: 403, code: "FORBIDDEN" },
];

async function asAdmin(ctx: TestContext, method: string, path: string, body?: unknown, who = "admin") {
  const res = await send(ctx, await tokenFor(ctx, who), method, path, body);
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: text ? JSON.parse(text) : undefined,
  };
}

const auditOf = (ctx: TestContext, targetId: string) =>
  ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, targetId)).orderBy(auditLog.id);
const officerRow = async (ctx: TestContext, id: string) =>
  (await ctx.deps.db.select().from(officers).where(eq(officers.id, id)))[0];

async function routedTo(ctx: TestContext, area: { code?: string; address?: string }) {
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject: { phone: aSubjectPhone() }, area })] });
  const { results } = (await res.json()) as { results: { alertId: string }[] };
  await ctx.drain();
  const [alert] = await ctx.deps.db
    .select()
    .from(alerts)
    .where(eq(alerts.id, results[0]?.alertId as string));
  return alert?.postId ?? null;
}

describe("PATCH /v1/officers/{id}", () => {
  it("changes name, phone and post; the list shows the new phone masked and the audit names the fields, not the number", async () => {
    const ctx = await createTestContext();

    const res = await asAdmin(ctx, "PATCH", "/v1/officers/off_miaogong", {
      displayName: "李明",
      phone: "139 9900 7788",
      postId: ctx.fixture.ids.ergong,
    });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      displayName: "李明",
      phone: "139****7788",
      postId: ctx.fixture.ids.ergong,
    });
    const row = await officerRow(ctx, "off_miaogong");
    expect(ctx.deps.pii.decrypt(row?.phoneEnc as string)).toBe("+8613999007788");
    const [entry] = await auditOf(ctx, "off_miaogong");
    expect(entry).toMatchObject({ action: "officer.updated", officerId: "off_admin" });
    expect(entry?.data).toMatchObject({ fields: ["displayName", "postId", "phone"] });
    expect(JSON.stringify(entry?.data)).not.toContain("7788");
  });

  it("a new role ends the officer's sessions; an admin cannot change their own role", async () => {
    const ctx = await createTestContext();
    await tokenFor(ctx, "supervisor");
    expect(
      await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_supervisor")),
    ).toHaveLength(1);

    const res = await asAdmin(ctx, "PATCH", "/v1/officers/off_supervisor", { role: "admin" });

    expect(res.status).toBe(200);
    expect(
      await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_supervisor")),
    ).toHaveLength(0);
    const own = await asAdmin(ctx, "PATCH", "/v1/officers/off_admin", {
      role: "officer",
      postId: ctx.fixture.ids.miaogong,
    });
    expect(own.status).toBe(409);
    expect((own.body as Problem).errors?.[0]?.path).toBe("role");
    expect((await officerRow(ctx, "off_admin"))?.role).toBe("admin");
  });

  it("refuses a bad phone, an officer without a post, a disabled post and another station's officer, changing nothing", async () => {
    const ctx = await createTestContext();
    await asAdmin(ctx, "POST", `/v1/posts/${ctx.fixture.ids.ergong}/disable`);
    const before = await officerRow(ctx, "off_miaogong");
    const cases: [unknown, number, string][] = [
      [{ phone: "12345" }, 400, "phone"],
      [{ postId: null }, 400, "postId"],
      [{ postId: ctx.fixture.ids.ergong }, 400, "postId"],
      [{ postId: "pst_other_duty" }, 400, "postId"],
      [{ role: "chief" }, 400, "role"],
    ];
    for (const [body, status, path] of cases) {
      const res = await asAdmin(ctx, "PATCH", "/v1/officers/off_miaogong", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.type).toContain("application/problem+json");
      expect((res.body as Problem).errors?.map((e) => e.path)).toContain(path);
    }
    expect(await officerRow(ctx, "off_miaogong")).toEqual(before);
    expect((await asAdmin(ctx, "PATCH", "/v1/officers/off_other", { displayName: "x" })).status).toBe(404);
  });

  it("is for admins only", async () => {
    const ctx = await createTestContext();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "PATCH", path: "/v1/officers/off_miaogong", body: { displayName: "x" } },
      NOT_ADMINS,
      () => officerRow(ctx, "off_miaogong"),
    );
  });
});

describe("enabling and on-duty", () => {
  it("enables a disabled officer, who can log in again; a disabled officer cannot be put on duty", async () => {
    const ctx = await createTestContext();
    expect((await asAdmin(ctx, "POST", "/v1/officers/off_ergong/disable")).status).toBe(200);
    const refused = await asAdmin(ctx, "PUT", "/v1/officers/off_ergong/duty", { onDuty: true });
    expect(refused.status).toBe(409);
    expect((refused.body as Problem).errors?.[0]?.path).toBe("onDuty");

    const enabled = await asAdmin(ctx, "POST", "/v1/officers/off_ergong/enable");

    expect(enabled.status).toBe(200);
    expect(enabled.body.disabledAt).toBeNull();
    expect(await ctx.login("ergong")).toBeTruthy();
    const onDuty = await asAdmin(ctx, "PUT", "/v1/officers/off_ergong/duty", { onDuty: true });
    expect(onDuty.body.onDuty).toBe(true);
    expect((await auditOf(ctx, "off_ergong")).map((a) => a.action)).toEqual([
      "officer.disabled",
      "officer.enabled",
      "officer.put_on_duty",
    ]);
  });

  it("an officer taken off duty is no longer paged; the post falls back to the duty desk", async () => {
    const ctx = await createTestContext();
    const off = await asAdmin(ctx, "PUT", "/v1/officers/off_ergong/duty", { onDuty: false });
    expect(off.body.onDuty).toBe(false);
    const duty = await asAdmin(ctx, "GET", `/v1/posts/${ctx.fixture.ids.ergong}/on-duty`);
    expect(duty.body.fallback).toBe(true);
    expect(duty.body.officers.map((o: { officerId: string }) => o.officerId)).not.toContain("off_ergong");
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "PUT", path: "/v1/officers/off_ergong/duty", body: { onDuty: true } },
      NOT_ADMINS,
      () => officerRow(ctx, "off_ergong"),
    );
  });
});

describe("disabling a post", () => {
  it("stops its rules routing and refuses new officers and rules; its alerts stay its own", async () => {
    const ctx = await createTestContext();
    const { ergong, dutyDesk } = ctx.fixture.ids;
    const before = await routedTo(ctx, { address: "三工镇二工村三组" });
    expect(before).toBe(ergong);

    const res = await asAdmin(ctx, "POST", `/v1/posts/${ergong}/disable`);

    expect(res.status).toBe(200);
    expect(res.body.disabledAt).not.toBeNull();
    expect(await routedTo(ctx, { address: "三工镇二工村三组" })).toBe(dutyDesk);
    const tried = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules/test", { area: { address: "二工村" } });
    expect(tried.body).toMatchObject({ postId: dutyDesk, routedBy: "duty_desk" });
    const rule = await asAdmin(ctx, "POST", "/v1/jurisdiction-rules", {
      kind: "address_keyword",
      pattern: "二工新村",
      postId: ergong,
    });
    expect(rule.status).toBe(400);
    expect((rule.body as Problem).errors?.[0]?.path).toBe("postId");
    const officer = await asAdmin(ctx, "POST", "/v1/officers", {
      username: "new.one",
      displayName: "新人",
      role: "officer",
      postId: ergong,
    });
    expect(officer.status).toBe(400);
    // History stays: the earlier alert is still the post's, and the post is still listed.
    const old = await ctx.deps.db.select().from(alerts).where(eq(alerts.postId, ergong));
    expect(old).toHaveLength(1);
    const listed = await asAdmin(ctx, "GET", "/v1/posts");
    expect(listed.body.posts.map((p: { id: string }) => p.id)).toContain(ergong);
    // Enabled again, it routes again.
    expect((await asAdmin(ctx, "POST", `/v1/posts/${ergong}/enable`)).body.disabledAt).toBeNull();
    expect(await routedTo(ctx, { address: "三工镇二工村四组" })).toBe(ergong);
    expect((await auditOf(ctx, ergong)).map((a) => a.action)).toEqual(["post.disabled", "post.enabled"]);
  });

  it("takes no transfer: an officer moving an alert there is refused naming the field", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await asAdmin(ctx, "POST", `/v1/posts/${ctx.fixture.ids.ergong}/disable`);

    const p = await problem(
      await act(ctx, "miaogong", id, "outcome", {
        outcome: "wrong_subject",
        transferToPostId: ctx.fixture.ids.ergong,
      }),
      400,
    );

    expect(p.errors?.map((e) => e.path)).toEqual(["transferToPostId"]);
    expect((await alertRow(ctx, id))?.postId).toBe(ctx.fixture.ids.miaogong);
  });

  it("refuses the duty desk (409) and another station's post (404)", async () => {
    const ctx = await createTestContext();
    const desk = await asAdmin(ctx, "POST", `/v1/posts/${ctx.fixture.ids.dutyDesk}/disable`);
    expect(desk.status).toBe(409);
    expect(desk.type).toContain("application/problem+json");
    expect((await asAdmin(ctx, "POST", "/v1/posts/pst_other_duty/disable")).status).toBe(404);
    const [row] = await ctx.deps.db.select().from(posts).where(eq(posts.id, ctx.fixture.ids.dutyDesk));
    expect(row?.disabledAt).toBeNull();
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/posts/${ctx.fixture.ids.ergong}/disable` },
      NOT_ADMINS,
      () => ctx.deps.db.select().from(posts).orderBy(posts.id),
    );
  });
});

describe("GET /v1/audit filters", () => {
  it("by target kind and by time range, within the admin's station", async () => {
    const ctx = await createTestContext();
    await asAdmin(ctx, "POST", `/v1/posts/${ctx.fixture.ids.ergong}/disable`);
    await asAdmin(ctx, "PUT", "/v1/officers/off_miaogong/duty", { onDuty: false });
    await asAdmin(ctx, "POST", "/v1/posts", { name: "别所警务室" }, "otheradmin");

    const byKind = await asAdmin(ctx, "GET", "/v1/audit?targetType=post");
    expect(byKind.body.entries.map((e: { action: string }) => e.action)).toEqual(["post.disabled"]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await asAdmin(ctx, "GET", `/v1/audit?from=${encodeURIComponent(future)}`);
    expect(none.body.entries).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    const all = await asAdmin(
      ctx,
      "GET",
      `/v1/audit?from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`,
    );
    expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual([
      "officer.taken_off_duty",
      "post.disabled",
    ]);
    const bad = await asAdmin(ctx, "GET", "/v1/audit?from=yesterday");
    expect(bad.status).toBe(400);
    expect((bad.body as Problem).errors?.[0]?.path).toBe("from");
  });
});
