import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, auditLog, optOuts } from "../../schema";
import { acknowledgeAlert } from "../../src/alerts/verify";
import { principalOf } from "../support/access";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { signedPost } from "../support/sms";
import { alertsFor, smsTo } from "./support";

/** Acknowledging from the page itself (issue 13): an officer replies `1` to the SMS that paged them. */

const SECRET = "provider-inbound-secret-0123456789";

async function pagedContext(env: Record<string, string> = {}) {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock, env: { SMS_INBOUND_SECRET: SECRET, ...env } });
  const [alertId] = (await alertsFor(ctx, { riskLevel: "critical" })) as [string];
  await ctx.drain();
  clock.advance(20_000);
  return { ctx, clock, alertId };
}

function reply(ctx: TestContext, from: string, text: string, id?: string) {
  return signedPost(ctx, "/v1/sms/inbound", { messages: [{ from, text, ...(id ? { id } : {}) }] }, SECRET);
}

async function alertRow(ctx: TestContext, alertId: string) {
  const [row] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  return row;
}

/** Bodies of the officer SMS a phone got after its page. */
async function answersTo(ctx: TestContext, phone: string) {
  return (await smsTo(ctx, phone)).map((s) => s.body).filter((b) => !b?.includes("回复1签收"));
}

describe("acknowledging by replying 1 to the page", () => {
  it("the page says how, and links to the console only when a public BASE_URL is set", async () => {
    const plain = await pagedContext();
    const [page] = await smsTo(plain.ctx, plain.ctx.fixture.phones.miaogong);
    expect(page?.body).toContain(`回复1签收。编号${plain.alertId.slice(-8)}`);
    expect(page?.body).not.toContain("http");

    const linked = await pagedContext({ BASE_URL: "https://fz.example.cn/" });
    const [linkedPage] = await smsTo(linked.ctx, linked.ctx.fixture.phones.miaogong);
    expect(linkedPage?.body).toContain(` https://fz.example.cn/console/alerts/${linked.alertId}`);
  });

  it("acknowledges the latest page as that officer, on the timeline and in the audit, and confirms", async () => {
    const { ctx, alertId } = await pagedContext();
    const res = await reply(ctx, "13999001001", "１", "gw-1"); // full-width, national format
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ results: [{ index: 0, optOut: null, from: expect.any(String) }] });

    expect(await alertRow(ctx, alertId)).toMatchObject({
      stage: "acknowledged",
      acknowledgedBy: "off_miaogong",
    });
    const events = await ctx.deps.db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId));
    expect(events.filter((e) => e.kind === "acknowledged").map((e) => e.officerId)).toEqual(["off_miaogong"]);
    const audit = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, alertId), eq(auditLog.action, "alert.acknowledged")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ officerId: "off_miaogong", data: { via: "sms_reply" } });
    expect(await answersTo(ctx, ctx.fixture.phones.miaogong)).toEqual([
      `【昌吉公安】已签收：预警编号${alertId.slice(-8)}，请尽快联系当事人。`,
    ]);
  });

  it("acknowledges the alert a reply names by its 编号, not the latest page", async () => {
    const { ctx, alertId: older } = await pagedContext();
    const [newer] = (await alertsFor(ctx, { riskLevel: "critical" })) as [string];
    await ctx.drain();
    await reply(ctx, ctx.fixture.phones.miaogong, `1 ${older.slice(-8).toUpperCase()}`, "gw-2");
    expect((await alertRow(ctx, older))?.stage).toBe("acknowledged");
    expect((await alertRow(ctx, newer))?.stage).toBe("pushed");
  });

  it("from a number that is no officer's: nothing acknowledged, opt-outs as before, no answer", async () => {
    const { ctx, alertId } = await pagedContext();
    const res = await signedPost(
      ctx,
      "/v1/sms/inbound",
      {
        messages: [
          { from: "13800138000", text: "1" },
          { from: "13800138001", text: "R" },
        ],
      },
      SECRET,
    );
    expect((await res.json()) as unknown).toEqual({
      results: [
        { index: 0, optOut: null, from: expect.any(String) },
        { index: 1, optOut: "R", from: expect.any(String) },
      ],
    });
    expect((await alertRow(ctx, alertId))?.stage).toBe("pushed");
    expect(await ctx.deps.db.select().from(optOuts)).toHaveLength(1);
    expect(await smsTo(ctx, "+8613800138000")).toEqual([]);
  });

  it("refuses when someone else acknowledged first, naming nobody and changing nothing", async () => {
    const { ctx, alertId } = await pagedContext();
    await acknowledgeAlert(ctx.deps, principalOf(ctx, "supervisor"), alertId);
    const before = await alertRow(ctx, alertId);
    await reply(ctx, ctx.fixture.phones.miaogong, "1", "gw-3");
    expect(await alertRow(ctx, alertId)).toEqual(before);
    const answers = await answersTo(ctx, ctx.fixture.phones.miaogong);
    expect(answers).toEqual([`【昌吉公安】预警编号${alertId.slice(-8)}已由其他民警签收，无需处理。`]);
    expect(answers[0]).not.toMatch(/\d{11}/);
  });

  it("refuses an unknown 编号, and an officer who was never paged", async () => {
    const { ctx, alertId } = await pagedContext();
    await reply(ctx, ctx.fixture.phones.miaogong, "1 zzzz9999", "gw-4");
    await reply(ctx, ctx.fixture.phones.ergong, "1", "gw-5");
    expect((await alertRow(ctx, alertId))?.stage).toBe("pushed");
    expect(await answersTo(ctx, ctx.fixture.phones.miaogong)).toEqual([
      "【昌吉公安】未找到编号zzzz9999的预警，请核对编号后回复“1 编号”。",
    ]);
    expect(await answersTo(ctx, ctx.fixture.phones.ergong)).toEqual(["【昌吉公安】您没有待签收的预警。"]);
  });

  it("answers a redelivered reply once", async () => {
    const { ctx, alertId } = await pagedContext();
    await reply(ctx, ctx.fixture.phones.miaogong, "1", "gw-6");
    await reply(ctx, ctx.fixture.phones.miaogong, "1", "gw-6");
    await ctx.drain();
    expect(await answersTo(ctx, ctx.fixture.phones.miaogong)).toHaveLength(1);
    expect((await alertRow(ctx, alertId))?.acknowledgedBy).toBe("off_miaogong");
  });
});
