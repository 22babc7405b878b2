import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, optOuts } from "../../schema";
import { isOptedOut } from "../../src/sms/counters/bulk-admission";
import { createTestContext, type TestContext } from "../support/context";
import { givenPartnerTexted } from "../support/opt-outs";
import { aPartner } from "../support/partners";
import { migrateOnceBeforeAll, signedPost } from "../support/sms";

migrateOnceBeforeAll();

/**
 * An opt-out belongs to the recipient and stops reminders from every sender, but who may see, remove and
 * create one is scoped (issue 10, item 3): admins manage the opt-outs recorded at their own station, and a
 * partner may opt out only numbers it has texted.
 */

type Problem = { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };

const sansRequestId = ({ requestId: _, ...rest }: Record<string, unknown>) => rest;

function optOutReply(ctx: TestContext, partner: { id: string; webhookSecret: string }, ...from: string[]) {
  return signedPost(
    ctx,
    "/v1/sms/inbound",
    { messages: from.map((f) => ({ from: f, text: "R" })) },
    partner.webhookSecret,
    { headers: { "x-partner-id": partner.id } },
  );
}

async function as(ctx: TestContext, username: string) {
  const token = await ctx.login(username);
  return (path: string, init: RequestInit = {}) =>
    ctx.app.request(path, {
      ...init,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...init.headers },
    });
}

async function addOptOut(ctx: TestContext, username: string, phone: string): Promise<string> {
  const res = await (await as(ctx, username))("/v1/sms/opt-outs", {
    method: "POST",
    body: JSON.stringify({ phone }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("a partner forwarding opt-outs", () => {
  it("refuses a number it has not texted with one 403 whether or not we know the number, recording nothing", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    const other = await aPartner(ctx, { stationId: ctx.fixture.ids.otherStation });
    await givenPartnerTexted(ctx, other.id, "13800138001"); // texted by another partner
    await addOptOut(ctx, "otheradmin", "13800138002"); // already opted out at another station

    const answers: Record<string, unknown>[] = [];
    for (const phone of ["13800138000", "13800138001", "13800138002"]) {
      const res = await optOutReply(ctx, partner, phone);
      expect(res.status, phone).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await res.json()) as Problem;
      expect(problem.code).toBe("NOT_YOUR_RECIPIENT");
      expect(problem.errors?.map((e) => e.path)).toEqual(["messages[0].from"]);
      expect(JSON.stringify(problem)).not.toContain(phone);
      answers.push(sansRequestId(problem));
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const rows = await ctx.deps.db.select().from(optOuts);
    expect(rows.map((r) => r.recipientMasked)).toEqual(["138****8002"]);
  });

  it("refuses the whole batch when one number is not its own, naming that item", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    await givenPartnerTexted(ctx, partner.id, "13800138000");

    const res = await optOutReply(ctx, partner, "13800138000", "13800138009");

    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).errors?.map((e) => e.path)).toEqual(["messages[1].from"]);
    expect(await ctx.deps.db.select().from(optOuts)).toEqual([]);
  });

  it("records numbers it has texted, sent by us or attached to its own SMS, at its station", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    await givenPartnerTexted(ctx, partner.id, "13800138000");
    await givenPartnerTexted(ctx, partner.id, "13800138001", "attached");

    const res = await optOutReply(ctx, partner, "13800138000", "+86 138 0013 8001");

    expect(res.status).toBe(200);
    const rows = await ctx.deps.db.select().from(optOuts).orderBy(optOuts.recipientMasked);
    expect(rows.map((r) => [r.recipientMasked, r.stationId, r.partnerId])).toEqual([
      ["138****8000", ctx.fixture.ids.station, partner.id],
      ["138****8001", ctx.fixture.ids.station, partner.id],
    ]);
  });

  it("still forwards replies that are not opt-outs from any number, dropping them", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    const res = await signedPost(
      ctx,
      "/v1/sms/inbound",
      { messages: [{ from: "13800138000", text: "谢谢" }] },
      partner.webhookSecret,
      { headers: { "x-partner-id": partner.id } },
    );
    expect(res.status).toBe(200);
    expect(await ctx.deps.db.select().from(optOuts)).toEqual([]);
  });
});

describe("admins and other stations' opt-outs", () => {
  it("lists only the opt-outs recorded at the admin's station, which still apply to every sender", async () => {
    const ctx = await createTestContext();
    const mine = await addOptOut(ctx, "admin", "13800138000");
    const theirs = await addOptOut(ctx, "otheradmin", "13800138001");
    const partner = await aPartner(ctx, { stationId: ctx.fixture.ids.otherStation });
    await givenPartnerTexted(ctx, partner.id, "13800138002");
    expect((await optOutReply(ctx, partner, "13800138002")).status).toBe(200);

    const listed = async (username: string) => {
      const res = await (await as(ctx, username))("/v1/sms/opt-outs");
      return ((await res.json()) as { optOuts: { id: string; to: string }[] }).optOuts.map((o) => o.to);
    };
    expect(await listed("admin")).toEqual(["138****8000"]);
    expect(await listed("otheradmin")).toEqual(["138****8002", "138****8001"]);
    const byPhone = await (await as(ctx, "admin"))("/v1/sms/opt-outs?phone=13800138001");
    expect(((await byPhone.json()) as { optOuts: unknown[] }).optOuts).toEqual([]);
    // Honoured everywhere: the reminder engine asks by number, not by station.
    expect(await isOptedOut(ctx.deps.db, mine)).toBe(true);
    expect(await isOptedOut(ctx.deps.db, theirs)).toBe(true);
  });

  it("answers 404 for removing another station's opt-out and changes nothing; its own admin's removal is audited there", async () => {
    const ctx = await createTestContext();
    const theirs = await addOptOut(ctx, "otheradmin", "13800138001");
    const auditBefore = await ctx.deps.db.select().from(auditLog);

    const refused = await (await as(ctx, "admin"))(`/v1/sms/opt-outs/${theirs}`, { method: "DELETE" });
    const unknown = await (await as(ctx, "admin"))("/v1/sms/opt-outs/no-such-opt-out", { method: "DELETE" });

    expect(refused.status).toBe(404);
    expect(sansRequestId((await refused.json()) as Record<string, unknown>)).toEqual(
      sansRequestId((await unknown.json()) as Record<string, unknown>),
    );
    expect(await isOptedOut(ctx.deps.db, theirs)).toBe(true);
    expect(await ctx.deps.db.select().from(auditLog)).toEqual(auditBefore);

    const removed = await (await as(ctx, "otheradmin"))(`/v1/sms/opt-outs/${theirs}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    const [audit] = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "sms.opt_out.remove"));
    expect([audit?.stationId, audit?.officerId]).toEqual([ctx.fixture.ids.otherStation, "off_other_admin"]);
  });

  it("files a reply our provider forwarded under the station whose partner last texted the number", async () => {
    const secret = "provider-inbound-secret-0123456789";
    const ctx = await createTestContext({ env: { SMS_INBOUND_SECRET: secret } });
    const partner = await aPartner(ctx, { stationId: ctx.fixture.ids.otherStation });
    await givenPartnerTexted(ctx, partner.id, "13800138000");

    const res = await signedPost(
      ctx,
      "/v1/sms/inbound",
      { messages: [{ from: "13800138000", text: "TD" }] },
      secret,
    );

    expect(res.status).toBe(200);
    const [row] = await ctx.deps.db.select().from(optOuts);
    expect([row?.stationId, row?.partnerId, row?.createdBy]).toEqual([
      ctx.fixture.ids.otherStation,
      null,
      "provider",
    ]);
  });
});
