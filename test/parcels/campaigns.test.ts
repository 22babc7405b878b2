import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, devOutbox, officers } from "../../schema";
import { seedDemo } from "../../src/local/seed";
import { checkTemplate } from "../../src/parcels/template-rules";
import type { TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import { adminToken, anEvent, decide, parcelContext, postEvents, warmDatabase } from "./support";

beforeAll(warmDatabase);

type Problem = { code: string; errors?: { path: string; message: string }[] };
type Template = { id: string; segments: number; parts: string[]; characters: number; uses: number };
type Campaign = { id: string; templates: Template[]; priority: number; areaPrefixes: string[] };

function call(ctx: TestContext, token: string, method: string, path: string, body?: unknown) {
  return ctx.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

const CAMPAIGN = {
  name: "防范冒充客服退款诈骗",
  areaPrefixes: ["652301105"],
  startsOn: "2026-11-01",
  endsOn: "2026-12-31",
  priority: 5,
};
const GOOD = "【昌吉公安】取件提醒：自称快递客服要给您理赔退款的都是诈骗，勿转账！拒收请回复R";

async function campaignWithTemplate(ctx: TestContext, token: string) {
  const created = (await (await call(ctx, token, "POST", "/v1/campaigns", CAMPAIGN)).json()) as Campaign;
  const res = await call(ctx, token, "POST", `/v1/campaigns/${created.id}/templates`, { body: GOOD });
  return { campaign: created, res };
}

describe("campaign templates are validated on save", () => {
  it("stores a valid template and shows its characters and billed parts", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { res } = await campaignWithTemplate(ctx, token);

    expect(res.status).toBe(201);
    const template = (await res.json()) as Template;
    expect(template).toMatchObject({ segments: 1, characters: [...GOOD].length, parts: [GOOD], uses: 0 });
  });

  it("counts a 71-character Chinese text as two parts of 67 and the rest", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { campaign } = await campaignWithTemplate(ctx, token);
    const body = `【昌吉公安】${"请".repeat(59)}拒收请回复R`;

    const res = await call(ctx, token, "POST", `/v1/campaigns/${campaign.id}/templates`, { body });

    const template = (await res.json()) as Template;
    expect([...body].length).toBe(71);
    expect(template.segments).toBe(2);
    expect(template.parts.map((p) => [...p].length)).toEqual([67, 4]);
  });

  it.each([
    ["no signature", "取件提醒：自称客服要给您退款的都是诈骗。拒收请回复R", "signature"],
    ["a signature not at the start", "取件提醒【昌吉公安】：勿信客服退款。拒收请回复R", "signature"],
    ["no opt-out wording", "【昌吉公安】取件提醒：自称客服要给您退款的都是诈骗。", "拒收请回复R"],
    ["a link", "【昌吉公安】详情见 https://fanzha.example.cn/tips 拒收请回复R", "links"],
    ["a bare domain", "【昌吉公安】详情见gov.cn网站。拒收请回复R", "links"],
    ["a short link", "【昌吉公安】详见t.cn/A6xyz 拒收请回复R", "links"],
    ["a full-width web address", "【昌吉公安】访问ｗｗｗ．ｆａｎｚｈａ．ｃｏｍ 拒收请回复R", "links"],
    ["too many parts", `【昌吉公安】${"请".repeat(270)}拒收请回复R`, "parts"],
    [
      "another sender's signature",
      "【中通快递】取件提醒：勿信客服退款。拒收请回复R",
      "this station's signature 【昌吉公安】",
    ],
    ["a landline with its area code", "【昌吉公安】请拨打0994-1234567咨询。拒收请回复R", "landline"],
    ["a landline in brackets", "【昌吉公安】咨询(0994)1234567。拒收请回复R", "landline"],
    ["a mobile number", "【昌吉公安】有疑问请联系138 0013 8000。拒收请回复R", "mobile"],
    ["a mobile number in full-width digits", "【昌吉公安】联系１３８００１３８０００。拒收请回复R", "mobile"],
    ["a 400 number", "【昌吉公安】客服热线400-123-4567。拒收请回复R", "400/800"],
    ["an 800 number", "【昌吉公安】免费电话8001234567。拒收请回复R", "400/800"],
    ["a 95xxx number", "【昌吉公安】银行客服95588可核实。拒收请回复R", "95xxx/96xxx"],
    ["a 96xxx number", "【昌吉公安】反诈专线96110。拒收请回复R", "95xxx/96xxx"],
    ["a local number without area code", "【昌吉公安】请拨1234567。拒收请回复R", "telephone number"],
  ])("refuses a template with %s, naming the problem", async (_name, body, words) => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { campaign } = await campaignWithTemplate(ctx, token);

    const res = await call(ctx, token, "POST", `/v1/campaigns/${campaign.id}/templates`, { body });

    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors?.map((e) => e.path)).toContain("body");
    expect(problem.errors?.map((e) => e.message).join(" ")).toContain(words);
    const stored = (await (await call(ctx, token, "GET", `/v1/campaigns/${campaign.id}`)).json()) as Campaign;
    expect(stored.templates).toHaveLength(1);
  });

  it("keeps a date and a parcel's short code: they are not telephone numbers", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await call(ctx, token, "POST", "/v1/campaign-templates/check", {
      body: "【昌吉公安】2026-12-03起，取件码1234请勿告诉他人，警方不会让您转账。拒收请回复R",
    });
    expect(await res.json()).toMatchObject({ valid: true, problems: [] });
  });

  it("checks a text without saving it", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await call(ctx, token, "POST", "/v1/campaign-templates/check", {
      body: "没有签名 http://x.cn",
    });
    const check = (await res.json()) as { valid: boolean; problems: unknown[]; segments: number };
    expect(res.status).toBe(200);
    expect(check.valid).toBe(false);
    expect(check.problems).toHaveLength(3);
    expect(check.segments).toBe(1);
  });
});

describe("campaign administration", () => {
  it("creates, lists by priority, changes and disables campaigns, with audit entries", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { campaign } = await campaignWithTemplate(ctx, token);
    const urgent = (await (
      await call(ctx, token, "POST", "/v1/campaigns", { ...CAMPAIGN, name: "新型冒充物流诈骗", priority: 90 })
    ).json()) as Campaign;

    const list = (await (await call(ctx, token, "GET", "/v1/campaigns")).json()) as { campaigns: Campaign[] };
    const patched = await call(ctx, token, "PATCH", `/v1/campaigns/${campaign.id}`, {
      areaPrefixes: ["652301105201", "652301105201"],
      disabled: true,
    });

    expect(list.campaigns.map((c) => c.id)).toEqual([urgent.id, campaign.id]);
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      areaPrefixes: ["652301105201"],
      disabledAt: expect.any(String),
    });
    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, campaign.id));
    expect(audit.map((a) => a.action)).toEqual([
      "campaign.create",
      "campaign.template_add",
      "campaign.update",
    ]);
  });

  it.each([
    ["endsOn before startsOn", { ...CAMPAIGN, startsOn: "2026-12-31", endsOn: "2026-12-01" }, "endsOn"],
    ["a non-digit area prefix", { ...CAMPAIGN, areaPrefixes: ["Changji"] }, "areaPrefixes.0"],
    ["a bad date", { ...CAMPAIGN, startsOn: "2026-13-01" }, "startsOn"],
  ])("refuses %s with 400 naming the field", async (_name, body, path) => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await call(ctx, token, "POST", "/v1/campaigns", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toContain(path);
  });

  it("lets supervisors read campaigns but only admins change them; other stations see 404", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { campaign } = await campaignWithTemplate(ctx, token);
    const supervisor = await ctx.login("supervisor");
    const officer = await ctx.login("miaogong");
    const otherAdmin = await adminToken(ctx, "otheradmin");

    const statuses = [
      (await call(ctx, supervisor, "GET", `/v1/campaigns/${campaign.id}`)).status,
      (await call(ctx, supervisor, "POST", "/v1/campaigns", CAMPAIGN)).status,
      (await call(ctx, officer, "GET", "/v1/campaigns")).status,
      (await call(ctx, otherAdmin, "GET", `/v1/campaigns/${campaign.id}`)).status,
      (await call(ctx, otherAdmin, "PATCH", `/v1/campaigns/${campaign.id}`, { priority: 1 })).status,
      (await ctx.app.request("/v1/campaigns")).status,
    ];
    expect(statuses).toEqual([200, 403, 403, 404, 404, 401]);
  });

  it("takes a disabled template out of rotation", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { campaign, res } = await campaignWithTemplate(ctx, token);
    const first = (await res.json()) as Template;
    const other = "【昌吉公安】正规退款原路退回，不会让您扫码转账或提供验证码。拒收请回复R";
    await call(ctx, token, "POST", `/v1/campaigns/${campaign.id}/templates`, { body: other });
    await call(ctx, token, "POST", `/v1/campaigns/${campaign.id}/templates/${first.id}/disable`);
    const partner = await aPartner(ctx, { channel: "attach" });

    const results = await decide(ctx, partner, [
      anEvent({ recipientPhone: "13800138001" }),
      anEvent({ recipientPhone: "13800138002" }),
    ]);

    expect(results.map((r) => r.text)).toEqual([other, other]);
  });
});

describe("the demo seed", () => {
  it("has an anti-fraud and an anti-theft campaign with valid templates, and the demo partner's reminders land in the dev outbox", async () => {
    const ctx = await parcelContext();
    // The demo seed brings its own officers with the fixture's usernames (supervisor, admin).
    await ctx.deps.db.delete(officers);
    const demo = await seedDemo(ctx.deps, "http://localhost");
    const partner = { id: demo.partner.id, apiKey: demo.partner.apiKey };

    const res = await postEvents(ctx, partner, {
      events: [
        anEvent({ recipientPhone: "13800138001", area: { code: "652301105201" } }),
        anEvent({ recipientPhone: "13800138002", area: { code: "652301105202" } }),
        anEvent({ recipientPhone: "13800138003", area: { code: "652301105203" } }),
      ],
    });
    await ctx.drain();

    expect(res.status).toBe(200);
    const outbox = await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.purpose, "parcel_reminder"));
    const bodies = outbox.map((o) => o.body);
    expect(outbox).toHaveLength(3);
    // Anti-fraud in 庙工村 and 二工村, rotating its two texts; anti-theft in 三工村, where the pickup points are.
    const antiFraud = bodies.filter((b) => /^【昌吉公安】.*(诈骗|客服).*拒收请回复R$/.test(b));
    expect(new Set(antiFraud).size).toBe(2);
    expect(bodies.filter((b) => /^【昌吉公安】防盗提醒：.*拒收请回复R$/.test(b))).toHaveLength(1);
    for (const b of bodies) expect(checkTemplate(b).valid).toBe(true);
  });
});
