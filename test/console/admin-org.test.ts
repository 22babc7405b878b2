import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, officers, posts, rosterShifts } from "../../schema";
import { createTestContext, type TestContext } from "../support/context";
import { visibleText, visitorAs } from "./admin-support";

/**
 * The admin pages through the app as a browser uses them (session cookie, same-origin form posts with the
 * CSRF token, no script): what an admin sees and what each form does, in Chinese by default and in English.
 */
const PAGES = [
  "/console/admin",
  "/console/admin/officers",
  "/console/admin/officers/off_miaogong",
  "/console/admin/posts",
  "/console/admin/rules",
  "/console/admin/rosters",
  "/console/admin/rosters/pst_miaogong",
  "/console/admin/escalation",
  "/console/admin/audit",
];

const officerRow = async (ctx: TestContext, username: string) =>
  (await ctx.deps.db.select().from(officers).where(eq(officers.username, username)))[0];

describe("admin pages", () => {
  it("are for admins: officers and supervisors get a Chinese 403, and only admins see the 管理 link", async () => {
    const ctx = await createTestContext();
    for (const who of ["miaogong", "supervisor"]) {
      const visitor = await visitorAs(ctx, who);
      for (const path of PAGES) {
        const page = await visitor.get(path);
        expect(page.status, `${who} ${path}`).toBe(403);
        expect(visibleText(page.html)).toContain("仅系统管理员可以使用管理页面。");
      }
      const post = await visitor.post("/console/admin/posts", { name: "偷建警务室" });
      expect(post.status).toBe(403);
      expect((await visitor.get("/console")).html).not.toContain('href="/console/admin"');
    }
    expect(await ctx.deps.db.select().from(posts).where(eq(posts.name, "偷建警务室"))).toEqual([]);
    const admin = await visitorAs(ctx, "admin");
    expect((await admin.get("/console/supervisor")).html).toContain('href="/console/admin"');
  });

  it("render in Chinese by default and in English on request, each with the section menu and no raw values", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    for (const path of PAGES) {
      const zh = await admin.get(path);
      expect(zh.status, path).toBe(200);
      expect(zh.html).toContain('<html lang="zh-CN"');
      expect(zh.html).toContain('aria-label="管理栏目"');
      expect(zh.html).not.toMatch(/undefined|\[object Object\]|Invalid Date|NaN|>adm[A-Z]/);
      const en = await admin.get(`${path}${path.includes("?") ? "&" : "?"}lang=en`);
      expect(en.html).toContain('<html lang="en"');
      expect(en.html).toContain('aria-label="Admin sections"');
      // The page's own words are English: Chinese left is data (post and officer names) only.
      const words = visibleText(en.html)
        .replace(/值班室|庙工村警务室|二工村警务室|所值班室|庙工村|二工村/g, "")
        .replace(/中文/g, "");
      expect(words, path).not.toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe("an admin's station", () => {
  it("is all an admin sees: another station's officers, posts and rosters are not found", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const list = await admin.get("/console/admin/officers");
    expect(list.html).not.toContain("otheradmin");
    expect(list.html).not.toContain("off_other");
    for (const path of ["/console/admin/officers/off_other", "/console/admin/rosters/pst_other_duty"]) {
      const page = await admin.get(path);
      expect(page.status, path).toBe(404);
      expect(visibleText(page.html)).toContain("本所没有这条记录。");
    }
    const edit = await admin.post("/console/admin/officers/off_other/disable", {});
    expect(edit.status).toBe(404);
    const rename = await admin.post("/console/admin/posts/pst_other_duty", { name: "改名" });
    expect(rename.status).toBe(404);
    const [other] = await ctx.deps.db.select().from(officers).where(eq(officers.id, "off_other"));
    expect(other?.disabledAt).toBeNull();
    expect((await ctx.deps.db.select().from(posts).where(eq(posts.id, "pst_other_duty")))[0]?.name).toBe(
      "值班室",
    );
  });
});

describe("officers", () => {
  it("creates an account and shows its password once, never in a URL or on a later page", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");

    const created = await admin.post("/console/admin/officers", {
      username: "li.ming",
      displayName: "李明",
      role: "officer",
      postId: ctx.fixture.ids.miaogong,
      phone: "139 9900 3003",
    });

    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toContain("no-store");
    const password = /data-secret[^>]*>([^<]+)</.exec(created.html)?.[1] as string;
    expect(password).toMatch(/^[\w-]{24}$/);
    const list = await admin.get("/console/admin/officers");
    expect(list.html).not.toContain(password);
    expect(visibleText(list.html)).toContain("139****3003");
    expect(list.html).not.toContain("13999003003");
    const row = await officerRow(ctx, "li.ming");
    expect(row).toMatchObject({
      displayName: "李明",
      postId: ctx.fixture.ids.miaogong,
      passwordChangeRequired: true,
    });
    const login = await ctx.app.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "li.ming", password }),
    });
    expect(login.status).toBe(200);
  });

  it("says what is wrong beside each field, in Chinese, keeping what was typed, and creates nothing", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const bad = await admin.post("/console/admin/officers", {
      username: "Li Ming",
      displayName: "李明",
      role: "officer",
      postId: "",
      phone: "12345",
    });
    expect(bad.status).toBe(400);
    const text = visibleText(bad.html);
    for (const message of ["用户名为3至64位小写字母", "民警须属于一个警务室", "手机号格式不正确"]) {
      expect(text).toContain(message);
    }
    expect(bad.html).toContain('value="Li Ming"');
    const taken = await admin.post("/console/admin/officers", {
      username: "miaogong",
      displayName: "重名",
      role: "supervisor",
      postId: "",
      phone: "",
    });
    expect(taken.status).toBe(409);
    expect(visibleText(taken.html)).toContain("该用户名已被使用");
    expect(await officerRow(ctx, "li ming")).toBeUndefined();
  });

  it("edits, takes off duty, disables, enables and resets a password, each audited", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const base = "/console/admin/officers/off_miaogong";

    const edited = await admin.post(base, {
      displayName: "庙工民警",
      role: "officer",
      postId: ctx.fixture.ids.ergong,
      phone: "13999007788",
    });
    expect(edited.status).toBe(303);
    expect(edited.location).toBe(`${base}?saved=1`);
    const page = await admin.get(edited.location as string);
    expect(visibleText(page.html)).toContain("已保存");
    expect(visibleText(page.html)).toContain("139****7788");
    expect((await admin.post(`${base}/duty`, { onDuty: "false" })).status).toBe(303);
    expect((await officerRow(ctx, "miaogong"))?.onDuty).toBe(false);
    expect((await admin.post(`${base}/disable`, {})).status).toBe(303);
    const duty = await admin.post(`${base}/duty`, { onDuty: "true" });
    expect(duty.status).toBe(409);
    expect(visibleText(duty.html)).toContain("已停用的账号不能设为在岗");
    expect((await admin.post(`${base}/enable`, {})).status).toBe(303);
    const reset = await admin.post(`${base}/reset-password`, {});
    expect(reset.status).toBe(200);
    expect(reset.html).toMatch(/data-secret[^>]*>[\w-]{24}</);
    expect((await officerRow(ctx, "miaogong"))?.passwordChangeRequired).toBe(true);
    const own = await admin.post("/console/admin/officers/off_admin/disable", {});
    expect(own.status).toBe(409);
    expect(visibleText(own.html)).toContain("不能停用自己的账号");
    const actions = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, "off_miaogong"));
    expect(actions.map((a) => a.action)).toEqual([
      "officer.updated",
      "officer.taken_off_duty",
      "officer.disabled",
      "officer.enabled",
      "officer.password_reset",
    ]);
  });
});

describe("posts and rules", () => {
  it("creates and renames posts; a taken name is a 409 said beside the field in Chinese", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    expect((await admin.post("/console/admin/posts", { name: "头屯河村警务室" })).status).toBe(303);
    const taken = await admin.post("/console/admin/posts", { name: "庙工村警务室" });
    expect(taken.status).toBe(409);
    expect(taken.html).toMatch(/id="new-post-name-error">本所已有同名警务室</);
    expect(taken.html).toContain('aria-invalid="true"');
    const renamed = await admin.post(`/console/admin/posts/${ctx.fixture.ids.ergong}`, {
      name: "庙工村警务室",
    });
    expect(renamed.status).toBe(409);
    expect(renamed.html).toContain(`id="name-${ctx.fixture.ids.ergong}-error">本所已有同名警务室<`);
    const names = (
      await ctx.deps.db.select().from(posts).where(eq(posts.stationId, ctx.fixture.ids.station))
    ).map((p) => p.name);
    expect(names.filter((n) => n === "庙工村警务室")).toHaveLength(1);
    expect(names).toContain("头屯河村警务室");
    // Disabled: still listed, its rule marked as not routing, no longer offered for new officers or rules.
    expect((await admin.post(`/console/admin/posts/${ctx.fixture.ids.ergong}/disable`, {})).status).toBe(303);
    const rules = visibleText((await admin.get("/console/admin/rules")).html).replace(/\s/g, "");
    expect(rules).toContain("二工村警务室（警务室已停用，此规则不生效）");
    const officersPage = (await admin.get("/console/admin/officers")).html;
    expect(officersPage).not.toContain(`<option value="${ctx.fixture.ids.ergong}"`);
    expect(visibleText((await admin.get("/console/admin/posts")).html)).toContain("已停用");
    const desk = await admin.post(`/console/admin/posts/${ctx.fixture.ids.dutyDesk}/disable`, {});
    expect(desk.status).toBe(409);
    expect(visibleText(desk.html)).toContain("值班室负责兜底，不能停用");
  });

  it("adds and removes rules, and the try-out says which post and why", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const tryIt = async () =>
      /id="try-answer">([^<]+)</.exec(
        (await admin.get("/console/admin/rules?code=652301105209&address=")).html,
      )?.[1];
    expect(await tryIt()).toBe("将分派至 值班室：没有规则匹配，由所值班室兜底。");
    const bad = await admin.post("/console/admin/rules", {
      kind: "area_prefix",
      pattern: "65A",
      postId: ctx.fixture.ids.ergong,
    });
    expect(bad.status).toBe(400);
    expect(visibleText(bad.html)).toContain("地区代码前缀为2至12位数字");

    const added = await admin.post("/console/admin/rules", {
      kind: "area_prefix",
      pattern: "652301105209",
      postId: ctx.fixture.ids.ergong,
    });

    expect(added.status).toBe(303);
    expect(await tryIt()).toBe("将分派至 二工村警务室：匹配规则“地区代码前缀：652301105209”。");
    const again = await admin.post("/console/admin/rules", {
      kind: "area_prefix",
      pattern: "652301105209",
      postId: ctx.fixture.ids.miaogong,
    });
    expect(again.status).toBe(409);
    expect(visibleText(again.html)).toContain("已有相同类型和内容的规则");
    const ruleId =
      /action="\/console\/admin\/rules\/([^/]+)\/delete"[^>]*>(?:(?!<\/tr>).)*652301105209/s.exec(
        (await admin.get("/console/admin/rules")).html,
      );
    const rows = (await admin.get("/console/admin/rules")).html
      .split("<tr")
      .filter((r) => r.includes('data-rule="652301105209"'));
    const id = /rules\/([^/]+)\/delete/.exec(rows[0] ?? "")?.[1];
    expect(id ?? ruleId?.[1]).toBeTruthy();
    expect((await admin.post(`/console/admin/rules/${id}/delete`, {})).status).toBe(303);
    expect(await tryIt()).toContain("没有规则匹配");
    const empty = await admin.get("/console/admin/rules?code=&address=");
    expect(empty.status).toBe(400);
    expect(visibleText(empty.html)).toContain("请填写地区代码或地址");
  });
});

describe("rosters, escalation, audit", () => {
  it("saves a roster from the form (every day, around the clock) and shows who is paged now", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const path = `/console/admin/rosters/${ctx.fixture.ids.ergong}`;
    const overlap = await admin.post(path, {
      shifts: "2",
      day_0: "all",
      start_0: "08:00",
      end_0: "20:00",
      officers_0: ["off_ergong"],
      day_1: "1",
      start_1: "19:00",
      end_1: "08:00",
      officers_1: ["off_ergong"],
    });
    expect(overlap.status).toBe(400);
    expect(visibleText(overlap.html)).toContain("同一民警的班次时间重叠");
    const badTime = await admin.post(path, { shifts: "1", day_0: "1", start_0: "8点", end_0: "20:00" });
    expect(visibleText(badTime.html)).toContain("时间格式为 时:分");
    expect(await ctx.deps.db.select().from(rosterShifts)).toEqual([]);

    const saved = await admin.post(path, {
      shifts: "2",
      day_0: "all",
      start_0: "00:00",
      end_0: "24:00",
      officers_0: ["off_ergong"],
      day_1: "all",
      start_1: "",
      end_1: "",
    });

    expect(saved.status).toBe(303);
    expect(await ctx.deps.db.select().from(rosterShifts)).toHaveLength(7);
    const page = visibleText((await admin.get(path)).html).replace(/\s/g, "");
    expect(page).toContain("现在通知谁：ergong（排班）");
    const officerPage = visibleText((await admin.get("/console/admin/officers/off_ergong")).html);
    expect(officerPage).toContain("二工村警务室 · 周一 00:00–24:00");
  });

  it("refuses an escalation step without anyone to page and saves a good one", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    const bad = await admin.post("/console/admin/escalation/high", { shifts: "", steps: "1", wait_0: "5" });
    expect(bad.status).toBe(400);
    expect(visibleText(bad.html)).toContain("每步至少选择一个通知对象");
    const unpageable = await admin.post("/console/admin/escalation/high", {
      steps: "1",
      officer_0: "off_supervisor",
      wait_0: "5",
    });
    expect(unpageable.status).toBe(400);
    expect(visibleText(unpageable.html)).toContain("该民警已停用或没有手机号，无法通知");

    const good = await admin.post("/console/admin/escalation/high", {
      steps: "2",
      targets_0: ["on_duty"],
      wait_0: "3",
      targets_1: ["supervisors", "duty_desk"],
      wait_1: "10",
    });

    expect(good.status).toBe(303);
    const page = visibleText((await admin.get("/console/admin/escalation")).html);
    expect(page).toContain("通知 在岗民警，等待 3 分钟");
    expect(page).toContain("通知 所领导、值班室，等待 10 分钟");
  });

  it("filters the audit log by who, what, target and date", async () => {
    const ctx = await createTestContext();
    const admin = await visitorAs(ctx, "admin");
    await admin.post("/console/admin/posts", { name: "头屯河村警务室" });
    await admin.post("/console/admin/officers/off_miaogong/duty", { onDuty: "false" });
    const rows = async (query: string) =>
      [...(await admin.get(`/console/admin/audit${query}`)).html.matchAll(/<tr data-action="([^"]+)"/g)].map(
        (m) => m[1],
      );

    expect(await rows("")).toEqual(["officer.taken_off_duty", "post.created"]);
    expect(await rows("?action=post.created")).toEqual(["post.created"]);
    expect(await rows("?targetType=officer&targetId=off_miaogong")).toEqual(["officer.taken_off_duty"]);
    expect(await rows("?officerId=off_supervisor")).toEqual([]);
    expect(await rows("?from=2020-01-01&to=2020-01-02")).toEqual([]);
    const page = visibleText((await admin.get("/console/admin/audit")).html);
    expect(page).toContain("设为不在岗");
    expect(page).toContain("账号 miaogong");
    const bad = await admin.get("/console/admin/audit?from=2026-13-40");
    expect(bad.status).toBe(400);
    expect(visibleText(bad.html)).toContain("请按“年-月-日”填写日期");
  });
});
