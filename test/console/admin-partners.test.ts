import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { auditLog, feedSources, optOuts, partnerApiKeys, partners } from "../../schema";
import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/**
 * The admin pages for feed sources, partners, campaigns and opt-outs, driven as a browser without script
 * would: session cookie, form posts with the CSRF token, redirects followed by hand. The browser test
 * (admin-partners.e2e.test.ts) covers the script and the look.
 */
describe("admin pages for feeds, partners, campaigns and opt-outs", () => {
  let ctx: TestContext;

  beforeEach(async () => {
    ctx = await createTestContext({ clock: new ManualClock("2026-11-28T10:30:00+08:00") });
  });

  /** A signed-in browser: its cookies (session, language, the once-cookie) kept between requests. */
  async function browserAs(username: string) {
    const token = await ctx.login(username);
    const jar = new Map<string, string>([[SESSION_COOKIE, token]]);
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const keep = (res: Response) => {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const [name, ...value] = (pair ?? "").split("=");
        if (!name) continue;
        if (/max-age=0/i.test(line) || value.join("=") === "") jar.delete(name);
        else jar.set(name, value.join("="));
      }
      return res;
    };
    return {
      async get(path: string) {
        const res = keep(await ctx.app.request(path, { headers: { cookie: cookie() } }));
        return { status: res.status, html: await res.text() };
      },
      async post(path: string, fields: Record<string, string> = {}) {
        const res = keep(
          await ctx.app.request(path, {
            method: "POST",
            headers: {
              cookie: cookie(),
              origin: "http://localhost",
              "content-type": "application/x-www-form-urlencoded",
            },
            body: new URLSearchParams({ _csrf: csrfToken(token), ...fields }).toString(),
          }),
        );
        return { status: res.status, location: res.headers.get("location"), html: await res.text() };
      },
    };
  }

  /** The id of what a create form made, from the page it redirected to (`/console/admin/<kind>/<id>?done=…`). */
  const createdId = (res: { location: string | null }) =>
    (res.location as string).split("?")[0]?.split("/").pop() as string;

  const PAGES = [
    "/console/admin/feeds",
    "/console/admin/partners",
    "/console/admin/campaigns",
    "/console/admin/opt-outs",
  ];

  it.each(["miaogong", "supervisor"])(
    "shows %s a Chinese refusal on every page, and changes nothing",
    async (who) => {
      const browser = await browserAs(who);
      for (const path of PAGES) {
        const res = await browser.get(path);
        expect(res.status, path).toBe(403);
        expect(res.html).toContain("仅系统管理员可以使用此页面");
      }
      const post = await browser.post("/console/admin/feeds", { name: "Sneaky" });
      expect(post.status).toBe(403);
      expect(await ctx.deps.db.select().from(feedSources)).toHaveLength(1);
    },
  );

  it("refuses a form posted without the session's CSRF token, and creates nothing", async () => {
    const token = await ctx.login("admin");
    const res = await ctx.app.request("/console/admin/partners", {
      method: "POST",
      headers: {
        cookie: `${SESSION_COOKIE}=${token}`,
        origin: "http://localhost",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ name: "伪造", channel: "sns" }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await ctx.deps.db.select().from(partners)).toHaveLength(0);
  });

  it("shows an admin every page in Chinese, and in English on ?lang=en", async () => {
    const browser = await browserAs("admin");
    const titles = [
      ["预警数据源", "Feed sources"],
      ["物流企业", "Partners"],
      ["宣传活动与短信模板", "Campaigns and templates"],
      ["退订名单", "Opt-outs"],
    ];
    for (const [i, path] of PAGES.entries()) {
      const [zhTitle, enTitle] = titles[i] as string[];
      const zh = await browser.get(path);
      expect(zh.status, path).toBe(200);
      expect(zh.html).toContain('lang="zh-CN"');
      expect(zh.html).toContain(`<h2>${zhTitle}</h2>`);
      expect(zh.html).not.toMatch(/undefined|\[object Object\]|Invalid Date|NaN|\bap[A-Z]\w+/);
      const en = await browser.get(`${path}?lang=en`);
      expect(en.status, path).toBe(200);
      expect(en.html).toContain(`<h2>${enTitle}</h2>`);
      expect(en.html).not.toMatch(/undefined|\[object Object\]|Invalid Date|NaN|\bap[A-Z]\w+/);
      await browser.get(`${path}?lang=zh`);
    }
  });

  it("creates a feed source and shows its secret exactly once; a bad callback is said beside the field", async () => {
    const browser = await browserAs("admin");

    const bad = await browser.post("/console/admin/feeds", { name: "国家反诈平台", callbackUrl: "ftp://x" });
    const created = await browser.post("/console/admin/feeds", {
      name: "国家反诈平台",
      callbackUrl: "https://platform.example.cn/feedback",
    });
    const first = await browser.get(created.location as string);
    const again = await browser.get(created.location as string);

    expect(bad.status).toBe(400);
    expect(bad.html).toContain("请填写以 http:// 或 https:// 开头的完整地址");
    expect(bad.html).toContain('value="国家反诈平台"');
    expect(created.status).toBe(303);
    const [source] = await ctx.deps.db.select().from(feedSources).where(eq(feedSources.name, "国家反诈平台"));
    const secret = ctx.deps.pii.decrypt(source?.secretEnc as string);
    expect(first.html).toContain("数据源已创建");
    expect(first.html).toContain(secret);
    expect(again.html).not.toContain(secret);

    const rotated = await browser.post(`/console/admin/feeds/${source?.id}/rotate`);
    const shown = await browser.get(rotated.location as string);
    const [after] = await ctx.deps.db
      .select()
      .from(feedSources)
      .where(eq(feedSources.id, source?.id as string));
    const newSecret = ctx.deps.pii.decrypt(after?.secretEnc as string);
    expect(newSecret).not.toBe(secret);
    expect(shown.html).toContain(newSecret);

    await browser.post(`/console/admin/feeds/${source?.id}/disable`);
    await browser.post(`/console/admin/feeds/${source?.id}/callback`, { callbackUrl: "" });
    const actions = await ctx.deps.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.targetId, source?.id as string));
    expect(actions.map((a) => a.action)).toEqual([
      "feed_source.create",
      "feed_source.secret_rotate",
      "feed_source.disable",
      "feed_source.configure",
    ]);
  });

  it("creates a partner with its key shown once, shows today's use, revokes the key; another station's is not found", async () => {
    const browser = await browserAs("admin");

    const refused = await browser.post("/console/admin/partners", {
      name: "",
      channel: "partner_http",
      partsPerSecond: "0",
    });
    const created = await browser.post("/console/admin/partners", {
      name: "中通快递三工驿站",
      channel: "sns",
      partsPerSecond: "5",
      dailyQuota: "2000",
    });
    const page = await browser.get(created.location as string);

    expect(refused.status).toBe(400);
    expect(refused.html).toContain("请填写名称");
    expect(refused.html).toContain("请填写 1 至 10000 之间的整数");
    expect(refused.html).toContain("选择“企业自己的短信接口”时必须填写接口配置");
    const apiKey = /pk_[A-Za-z0-9_-]{20,}/.exec(page.html)?.[0] as string;
    expect(apiKey).toBeDefined();
    expect(page.html).toContain("0 / 2000 条");
    const partnerId = createdId(created);
    const reread = await browser.get(`/console/admin/partners/${partnerId}`);
    expect(reread.html).not.toContain(apiKey);

    const keyId = /data-key-id="([^"]+)"/.exec(reread.html)?.[1] as string;
    await browser.post(`/console/admin/partners/${partnerId}/keys/${keyId}/revoke`);
    const parcels = await ctx.app.request(`/v1/partners/${partnerId}/parcel-events`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [] }),
    });
    expect(parcels.status).toBe(401);

    const other = await browserAs("otheradmin");
    const theirs = await other.get(`/console/admin/partners/${partnerId}`);
    expect(theirs.status).toBe(404);
    expect(theirs.html).toContain("未找到，或不属于本所");
    const history = await browser.get(`/console/admin/partners/${partnerId}`);
    expect(history.html).toMatch(/变更记录[\s\S]*吊销接口密钥[\s\S]*创建/);
    const [row] = await ctx.deps.db.select().from(partners).where(eq(partners.id, partnerId));
    expect(row).toMatchObject({ partsPerSecond: 5, dailyQuota: 2000, channel: "sns" });
  });

  it("issues a test key for a partner's integration, shown once and marked as a test key", async () => {
    const browser = await browserAs("admin");
    const created = await browser.post("/console/admin/partners", {
      name: "圆通快递联调",
      channel: "sns",
      partsPerSecond: "5",
      dailyQuota: "100",
    });
    const partnerId = createdId(created);

    const issued = await browser.post(`/console/admin/partners/${partnerId}/keys`, { mode: "test" });
    const page = await browser.get(issued.location as string);

    expect(page.html).toContain("新测试密钥已生成");
    const testKey = /pk_test_[A-Za-z0-9_-]{20,}/.exec(page.html)?.[0] as string;
    expect(testKey).toBeDefined();
    const keys = await ctx.deps.db
      .select()
      .from(partnerApiKeys)
      .where(eq(partnerApiKeys.partnerId, partnerId));
    expect(keys.map((k) => k.mode).sort()).toEqual(["live", "test"]);
    const reread = await browser.get(`/console/admin/partners/${partnerId}`);
    expect(reread.html).not.toContain(testKey);
    expect(reread.html).toMatch(
      /data-key-id="[^"]+">\s*<code>[^<]+<\/code>\s*<span class="ap-test">测试<\/span>/,
    );
    expect(reread.html).toMatch(/变更记录[\s\S]*新建测试密钥[\s\S]*创建/);
    expect((await browser.get(`/console/admin/partners/${partnerId}?lang=en`)).html).toContain(
      "New test key",
    );
  });

  it("refuses a template with a call-back number and a courier's signature, each said in Chinese, then accepts a good one", async () => {
    const browser = await browserAs("admin");
    const badDates = await browser.post("/console/admin/campaigns", {
      name: "防盗提醒",
      areas: "652301105203",
      startsOn: "2026-12-31",
      endsOn: "2026-12-01",
      priority: "5",
    });
    const created = await browser.post("/console/admin/campaigns", {
      name: "防盗提醒",
      areas: "652301105203, 652301105201",
      startsOn: "2026-11-28",
      endsOn: "2026-12-31",
      priority: "5",
    });
    const campaignPage = await browser.get(created.location as string);
    const id = createdId(created);

    const refused = await browser.post(`/console/admin/campaigns/${id}/templates`, {
      body: "【中通快递】防盗提醒：请拨打0994-1234567咨询。拒收请回复R",
    });
    const live = await browser.post("/console/admin/campaigns/check?lang=en", {
      body: "【昌吉公安】请拨打95588。",
    });
    await browser.get("/console/admin/campaigns?lang=zh");
    const accepted = await browser.post(`/console/admin/campaigns/${id}/templates`, {
      body: "【昌吉公安】防盗提醒：取件请本人领取，面单撕毁后再丢弃。拒收请回复R",
    });

    expect(badDates.status).toBe(400);
    expect(badDates.html).toContain("结束日期不能早于开始日期");
    expect(campaignPage.html).toContain("没有可用模板：此活动不会发送任何短信");
    expect(refused.status).toBe(400);
    expect(refused.html).toContain("签名 【中通快递】 不是本所的短信签名");
    expect(refused.html).toContain("“0994-1234567”是带区号的座机号码");
    expect(refused.html).toContain("【中通快递】防盗提醒：请拨打0994-1234567咨询。拒收请回复R</textarea>");
    const liveCheck = JSON.parse(live.html) as {
      valid: boolean;
      problems: { code: string; message: string }[];
    };
    expect(liveCheck.problems.map((p) => p.code)).toEqual(["opt_out_missing", "phone_service"]);
    expect(liveCheck.problems[1]?.message).toContain("95xxx/96xxx service number");
    expect(accepted.status).toBe(303);
    const after = await browser.get(accepted.location as string);
    expect(after.html).toContain("模板已保存");
    expect(after.html).not.toContain("没有可用模板");
    const actions = await ctx.deps.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.targetId, id));
    expect(actions.map((a) => a.action)).toEqual(["campaign.create", "campaign.template_add"]);
    // The campaign's page shows that history, with who did it.
    expect(after.html).toMatch(/变更记录[\s\S]*新增模板[\s\S]*admin[\s\S]*创建/);
  });

  it("shows another station's admin neither this station's campaigns nor its feed sources", async () => {
    const admin = await browserAs("admin");
    const created = await admin.post("/console/admin/campaigns", {
      name: "本所活动",
      areas: "652301",
      startsOn: "2026-11-28",
      endsOn: "2026-12-31",
      priority: "0",
    });
    const path = (created.location as string).split("?")[0] as string;
    const other = await browserAs("otheradmin");

    const campaign = await other.get(path);
    const list = await other.get("/console/admin/campaigns");
    const feeds = await other.get("/console/admin/feeds");
    const rotate = await other.post("/console/admin/feeds/src_platform/rotate");

    expect(campaign.status).toBe(404);
    expect(list.html).not.toContain("本所活动");
    expect(feeds.html).not.toContain("Test platform");
    expect(rotate.status).toBe(404);
  });

  it("allow-lists a signature from the campaigns page, refusing the station's own", async () => {
    const browser = await browserAs("admin");
    const own = await browser.post("/console/admin/campaigns/signatures", { signature: "【昌吉公安】" });
    const added = await browser.post("/console/admin/campaigns/signatures", { signature: "【三工派出所】" });
    const check = await browser.post("/console/admin/campaigns/check", {
      body: "【三工派出所】防盗提醒：面单撕毁后再丢弃。拒收请回复R",
    });

    expect(own.status).toBe(400);
    expect(own.html).toContain("这是本所签名，始终允许");
    expect(added.status).toBe(303);
    expect((await browser.get(added.location as string)).html).toContain("【三工派出所】");
    expect(JSON.parse(check.html)).toMatchObject({ valid: true });
  });

  it("records, finds and removes an opt-out, the removal only with a reason, both audited", async () => {
    const browser = await browserAs("admin");

    const added = await browser.post("/console/admin/opt-outs", {
      phone: "138 0013 8000",
      reason: "本人到所要求",
    });
    const found = await browser.get("/console/admin/opt-outs?phone=13800138000");
    const none = await browser.get("/console/admin/opt-outs?phone=13900139000");
    const [row] = await ctx.deps.db.select().from(optOuts);
    const noReason = await browser.post("/console/admin/opt-outs/remove", {
      id: row?.recipientHash as string,
      reason: "",
    });
    const removed = await browser.post("/console/admin/opt-outs/remove", {
      id: row?.recipientHash as string,
      reason: "本人来电要求恢复",
    });

    expect(added.status).toBe(303);
    expect(found.html).toContain("138****8000");
    expect(found.html).not.toMatch(/>[^<]*13800138000/);
    expect(none.html).toContain("139****9000 没有退订记录");
    expect(noReason.status).toBe(400);
    expect(noReason.html).toContain("请填写原因");
    expect(removed.status).toBe(303);
    expect(await ctx.deps.db.select().from(optOuts)).toHaveLength(0);
    const audit = await ctx.deps.db
      .select({ action: auditLog.action, reason: auditLog.reason })
      .from(auditLog)
      .where(and(eq(auditLog.targetType, "opt_out")));
    expect(audit).toEqual([
      { action: "sms.opt_out.add", reason: "本人到所要求" },
      { action: "sms.opt_out.remove", reason: "本人来电要求恢复" },
    ]);
  });
});
