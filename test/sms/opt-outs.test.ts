import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, optOuts } from "../../schema";
import { optOutKeyword } from "../../src/opt-outs/inbound";
import { createTestContext, type TestContext } from "../support/context";
import { givenPartnerTexted } from "../support/opt-outs";
import { aPartner } from "../support/partners";
import { migrateOnceBeforeAll, signedPost } from "../support/sms";

migrateOnceBeforeAll();

describe("opt-out keywords", () => {
  it.each([
    ["R", "R"],
    ["r", "R"],
    ["  R  ", "R"],
    ["R。", "R"],
    ["【R】", "R"],
    ["ｒ", "R"], // full-width, as Chinese keyboards type it
    ["T", "T"],
    ["t!", "T"],
    ["TD", "TD"],
    ["td", "TD"],
    [" Td. ", "TD"],
    ["ＴＤ", "TD"],
    ["退订", "退订"],
    [" 退订！", "退订"],
    ["“退订”", "退订"],
    ["STOP", "STOP"],
    ["stop", "STOP"],
    ["Stop...", "STOP"],
    ["\tSTOP\n", "STOP"],
  ])("%j opts out as %s", (text, keyword) => {
    expect(optOutKeyword(text)).toBe(keyword);
  });

  it.each([
    "",
    "   ",
    "RR",
    "TDD",
    "R 谢谢",
    "请退订", // a sentence around the keyword is a message for a person, not a command
    "退订了吗",
    "STOP IT",
    "T D",
    "收到",
    "好的R",
  ])("%j is not an opt-out", (text) => {
    expect(optOutKeyword(text)).toBeUndefined();
  });
});

async function inbound(
  ctx: TestContext,
  body: unknown,
  secret: string,
  headers: Record<string, string> = {},
) {
  return signedPost(ctx, "/v1/sms/inbound", body, secret, { headers });
}

describe("POST /v1/sms/inbound", () => {
  it("records an opt-out from a partner's forwarded reply, masked, and answers per message", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    await givenPartnerTexted(ctx, partner.id, "13800138000");

    const res = await inbound(
      ctx,
      {
        messages: [
          { from: "13800138000", text: " 退订。" },
          { from: "+8613800138001", text: "谢谢提醒" },
          { from: "123", text: "R" },
        ],
      },
      partner.webhookSecret,
      { "x-partner-id": partner.id },
    );

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      results: [
        { index: 0, optOut: "退订", from: "138****8000" },
        { index: 1, optOut: null, from: "138****8001" },
        { index: 2, optOut: null, from: null, error: "from is not a valid phone number" },
      ],
    });
    const rows = await ctx.deps.db.select().from(optOuts);
    expect(rows).toEqual([
      expect.objectContaining({
        recipientHash: ctx.deps.pii.hash("+8613800138000"),
        recipientMasked: "138****8000",
        source: "inbound",
        keyword: "退订",
        createdBy: partner.id,
        partnerId: partner.id,
        stationId: ctx.fixture.ids.station,
      }),
    ]);
  });

  it("accepts the partner's API key instead of a signature, and a repeated opt-out keeps the first", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    await givenPartnerTexted(ctx, partner.id, "13800138000", "attached");
    const post = (text: string) =>
      ctx.app.request("/v1/sms/inbound", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-partner-id": partner.id,
          authorization: `Bearer ${partner.apiKey}`,
        },
        body: JSON.stringify({ messages: [{ from: "13800138000", text }] }),
      });
    expect((await post("TD")).status).toBe(200);
    expect((await post("stop")).status).toBe(200);
    const rows = await ctx.deps.db.select().from(optOuts);
    expect(rows.map((r) => r.keyword)).toEqual(["TD"]);
  });

  it("accepts our own provider's replies signed with SMS_INBOUND_SECRET", async () => {
    const secret = "provider-inbound-secret-0123456789";
    const ctx = await createTestContext({ env: { SMS_INBOUND_SECRET: secret } });
    const res = await inbound(ctx, { messages: [{ from: "13800138000", text: "R" }] }, secret);
    expect(res.status).toBe(200);
    expect((await ctx.deps.db.select().from(optOuts))[0]).toMatchObject({
      createdBy: "provider",
      keyword: "R",
    });
  });

  it.each([
    ["unsigned, with no provider secret configured", {}, undefined],
    ["signed with the wrong secret", {}, "not-the-secret-at-all-000"],
    ["naming a partner but signed with another secret", { "x-partner-id": "par_test_x" }, "wrong"],
  ])("answers 401 when %s, and records nothing", async (_name, headers, secret) => {
    const ctx = await createTestContext({
      env: { SMS_INBOUND_SECRET: "provider-inbound-secret-0123456789" },
    });
    await aPartner(ctx, { id: "par_test_x" });
    const body = { messages: [{ from: "13800138000", text: "R" }] };
    const res = secret
      ? await inbound(ctx, body, secret, headers)
      : await ctx.app.request("/v1/sms/inbound", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        });
    expect(res.status).toBe(401);
    expect(await ctx.deps.db.select().from(optOuts)).toEqual([]);
  });

  it("answers 400 naming the field for a malformed batch", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    const res = await inbound(ctx, { messages: [{ text: "R" }] }, partner.webhookSecret, {
      "x-partner-id": partner.id,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "messages.0.from",
    ]);
  });
});

describe("admin opt-outs", () => {
  async function as(ctx: TestContext, username: string) {
    const token = await ctx.login(username);
    return (path: string, init: RequestInit = {}) =>
      ctx.app.request(path, {
        ...init,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...init.headers },
      });
  }

  it("adds, lists (masked, paged), and removes an opt-out, each audited without the number", async () => {
    const ctx = await createTestContext();
    const admin = await as(ctx, "admin");

    const added = await admin("/v1/sms/opt-outs", {
      method: "POST",
      body: JSON.stringify({ phone: "138 0013 8000", reason: "asked at the counter" }),
    });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };
    const again = await admin("/v1/sms/opt-outs", {
      method: "POST",
      body: JSON.stringify({ phone: "+8613800138000" }),
    });
    expect(await again.json()).toEqual({ id, to: "138****8000", created: false });
    await admin("/v1/sms/opt-outs", { method: "POST", body: JSON.stringify({ phone: "13800138001" }) });
    await admin("/v1/sms/opt-outs", { method: "POST", body: JSON.stringify({ phone: "13800138002" }) });

    const page1 = (await (await admin("/v1/sms/opt-outs?limit=2")).json()) as {
      optOuts: { id: string; to: string }[];
      nextCursor: string;
    };
    expect(page1.optOuts.map((o) => o.to)).toEqual(["138****8002", "138****8001"]);
    const page2 = (await (await admin(`/v1/sms/opt-outs?limit=2&cursor=${page1.nextCursor}`)).json()) as {
      optOuts: { to: string; source: string }[];
      nextCursor: string | null;
    };
    expect(page2).toEqual({
      optOuts: [expect.objectContaining({ to: "138****8000", source: "admin" })],
      nextCursor: null,
    });
    const found = (await (await admin("/v1/sms/opt-outs?phone=13800138000")).json()) as {
      optOuts: { id: string }[];
    };
    expect(found.optOuts.map((o) => o.id)).toEqual([id]);

    expect((await admin(`/v1/sms/opt-outs/${id}?reason=asked%20again`, { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await admin(`/v1/sms/opt-outs/${id}`, { method: "DELETE" })).status).toBe(404);

    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(audit.map((a) => [a.action, a.officerId, a.reason])).toEqual([
      ["sms.opt_out.add", "off_admin", "asked at the counter"],
      ["sms.opt_out.add", "off_admin", null],
      ["sms.opt_out.remove", "off_admin", "asked again"],
    ]);
    expect(JSON.stringify(audit)).not.toContain("13800138000");
  });

  it.each([
    ["a supervisor", "supervisor", 403],
    ["an officer", "miaogong", 403],
  ])("refuses %s with %i", async (_name, username, statusCode) => {
    const ctx = await createTestContext();
    const caller = await as(ctx, username);
    expect((await caller("/v1/sms/opt-outs")).status).toBe(statusCode);
    expect(
      (await caller("/v1/sms/opt-outs", { method: "POST", body: JSON.stringify({ phone: "13800138000" }) }))
        .status,
    ).toBe(statusCode);
  });

  it("answers 401 without a session and 400 naming phone for a number that is not one", async () => {
    const ctx = await createTestContext();
    expect((await ctx.app.request("/v1/sms/opt-outs")).status).toBe(401);
    const admin = await as(ctx, "admin");
    const res = await admin("/v1/sms/opt-outs", { method: "POST", body: JSON.stringify({ phone: "12345" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "phone",
    ]);
  });
});
