import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, stations } from "../../schema";
import type { TestContext } from "../support/context";
import { adminToken, parcelContext, warmDatabase } from "./support";

beforeAll(warmDatabase);

type FieldError = { path: string; message: string; code?: string; values?: Record<string, unknown> };
type Check = { valid: boolean; problems: FieldError[] };

function call(
  ctx: TestContext,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return ctx.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

const CALL_BACK = "【中通快递】取件提醒：请拨打0994-1234567咨询。拒收请回复R";

describe("template refusals have codes and speak the caller's language", () => {
  it("names each refusal with a code and what it found, in English by default", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);

    const res = await call(ctx, token, "POST", "/v1/campaign-templates/check", { body: CALL_BACK });

    const check = (await res.json()) as Check;
    expect(check.valid).toBe(false);
    expect(check.problems.map((p) => [p.path, p.code, p.values?.found])).toEqual([
      ["body", "signature_not_allowed", "【中通快递】"],
      ["body", "phone_landline", "0994-1234567"],
    ]);
    expect(check.problems[0]?.message).toContain("【昌吉公安】");
  });

  it("answers the refusals in Chinese to a caller that prefers Chinese, on check and on save", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const zh = { "accept-language": "zh-CN,zh;q=0.9,en;q=0.5" };
    const campaign = (await (
      await call(ctx, token, "POST", "/v1/campaigns", {
        name: "防盗提醒",
        areaPrefixes: ["652301"],
        startsOn: "2026-11-01",
        endsOn: "2026-12-31",
      })
    ).json()) as { id: string };

    const check = (await (
      await call(ctx, token, "POST", "/v1/campaign-templates/check", { body: CALL_BACK }, zh)
    ).json()) as Check;
    const saved = await call(
      ctx,
      token,
      "POST",
      `/v1/campaigns/${campaign.id}/templates`,
      { body: CALL_BACK },
      zh,
    );

    expect(check.problems.map((p) => p.message)).toEqual([
      expect.stringContaining("不是本所的短信签名"),
      expect.stringContaining("带区号的座机号码"),
    ]);
    expect(saved.status).toBe(400);
    const problem = (await saved.json()) as { errors: FieldError[] };
    expect(problem.errors.map((e) => [e.path, e.code])).toEqual([
      ["body", "signature_not_allowed"],
      ["body", "phone_landline"],
    ]);
    expect(problem.errors[1]?.message).toContain("0994-1234567");
  });
});

describe("signatures a template may start with", () => {
  it("checks against the station's configured signature, not only the server's", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    await ctx.deps.db
      .update(stations)
      .set({ smsSignature: "【三工派出所】" })
      .where(eq(stations.id, ctx.fixture.ids.station));

    const own = (await (
      await call(ctx, token, "POST", "/v1/campaign-templates/check", {
        body: "【三工派出所】取件提醒：勿信客服退款。拒收请回复R",
      })
    ).json()) as Check;
    const server = (await (
      await call(ctx, token, "POST", "/v1/campaign-templates/check", {
        body: "【昌吉公安】取件提醒：勿信客服退款。拒收请回复R",
      })
    ).json()) as Check;

    expect(own.valid).toBe(true);
    expect(server.problems.map((p) => p.code)).toEqual(["signature_not_allowed"]);
  });

  it("accepts an allow-listed signature until it is removed, each change audited", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const body = "【昌吉反诈】取件提醒：勿信客服退款。拒收请回复R";
    const check = async () =>
      ((await (await call(ctx, token, "POST", "/v1/campaign-templates/check", { body })).json()) as Check)
        .valid;

    expect(await check()).toBe(false);
    const added = await call(ctx, token, "POST", "/v1/campaign-signatures", { signature: "【昌吉反诈】" });
    expect(await added.json()).toEqual({ own: "【昌吉公安】", allowed: ["【昌吉反诈】"] });
    expect(await check()).toBe(true);
    const removed = await call(ctx, token, "POST", "/v1/campaign-signatures/remove", {
      signature: "【昌吉反诈】",
    });
    expect(await removed.json()).toEqual({ own: "【昌吉公安】", allowed: [] });
    expect(await check()).toBe(false);

    const audit = await ctx.deps.db
      .select({ action: auditLog.action, data: auditLog.data })
      .from(auditLog)
      .where(eq(auditLog.targetType, "template_signature"));
    expect(audit).toEqual([
      { action: "template_signature.add", data: { signature: "【昌吉反诈】" } },
      { action: "template_signature.remove", data: { signature: "【昌吉反诈】" } },
    ]);
  });

  it.each([
    ["not a signature", "昌吉反诈", 400, "VALIDATION_FAILED"],
    ["the station's own", "【昌吉公安】", 400, "VALIDATION_FAILED"],
  ])("refuses %s, naming the field", async (_name, signature, status, code) => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await call(ctx, token, "POST", "/v1/campaign-signatures", { signature });
    expect(res.status).toBe(status);
    const problem = (await res.json()) as { code: string; errors: FieldError[] };
    expect(problem.code).toBe(code);
    expect(problem.errors.map((e) => e.path)).toEqual(["signature"]);
  });

  it("keeps each station's allow-list to itself, and refuses non-admins", async () => {
    const ctx = await parcelContext();
    const admin = await adminToken(ctx);
    const other = await adminToken(ctx, "otheradmin");
    const supervisor = await ctx.login("supervisor");
    await call(ctx, admin, "POST", "/v1/campaign-signatures", { signature: "【昌吉反诈】" });

    const theirs = await call(ctx, other, "GET", "/v1/campaign-signatures");
    const removeTheirs = await call(ctx, other, "POST", "/v1/campaign-signatures/remove", {
      signature: "【昌吉反诈】",
    });
    const bySupervisor = await call(ctx, supervisor, "POST", "/v1/campaign-signatures", {
      signature: "【别的签名】",
    });

    expect(((await theirs.json()) as { allowed: string[] }).allowed).toEqual([]);
    expect(removeTheirs.status).toBe(404);
    expect(bySupervisor.status).toBe(403);
  });
});
