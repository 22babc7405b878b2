import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { smsMessages } from "../../schema";
import { applyReceipt } from "../../src/sms/receipts/receipts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { aPartner } from "../support/partners";
import { migrateOnceBeforeAll, queueTestSms } from "../support/sms";

migrateOnceBeforeAll();

/** A warning routed to 庙工村 (pst_miaogong), pushed: its victim warning SMS, and a partner's reminder. */
async function setup() {
  const ctx = await createTestContext();
  const res = await ctx.postWarnings({
    warnings: [aWarning({ area: { code: "652301105201", address: "三工镇庙工村七组" } })],
  });
  const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
  await ctx.drain();
  const [warning] = await ctx.deps.db
    .select()
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));
  const partner = await aPartner(ctx);
  const other = await aPartner(ctx);
  const [reminder] = await queueTestSms(ctx, [{ to: "+8613800138000", partnerId: partner.id }]);
  await ctx.drain();
  return { ctx, warningId: warning?.id as string, reminderId: reminder as string, partner, other };
}

async function get(ctx: TestContext, id: string, bearer?: string) {
  return ctx.app.request(`/v1/messages/${id}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
}

describe("GET /v1/messages/{id}", () => {
  it("shows an officer of the alert's post the SMS with its history, masked", async () => {
    const { ctx, warningId } = await setup();
    const m = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, warningId));
    await applyReceipt(ctx.deps.db, {
      channel: "outbox",
      providerMessageId: m[0]?.providerMessageId as string,
      status: "delivered",
    });

    const res = await get(ctx, warningId, await ctx.login("miaogong"));

    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: warningId,
      lane: "urgent",
      purpose: "victim_warning",
      to: "138****8000",
      status: "delivered",
      reason: null,
      attempts: 1,
    });
    expect((body.history as { status: string }[]).map((h) => h.status)).toEqual([
      "queued",
      "submitted",
      "delivered",
    ]);
    expect(JSON.stringify(body)).not.toContain("13800138000");
  });

  it("shows a partner its own reminder, its number masked as parcel output is (six digits hidden)", async () => {
    const { ctx, reminderId, partner } = await setup();
    const res = await get(ctx, reminderId, partner.apiKey);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: reminderId,
      partnerId: partner.id,
      status: "submitted",
      lane: "bulk",
      to: "138******00",
    });
  });

  it("shows the station's supervisor both, numbers masked as officers see them", async () => {
    const { ctx, warningId, reminderId } = await setup();
    const token = await ctx.login("supervisor");
    expect((await get(ctx, warningId, token)).status).toBe(200);
    const reminder = await get(ctx, reminderId, token);
    expect(reminder.status).toBe(200);
    expect(await reminder.json()).toMatchObject({ to: "138****8000" });
  });

  it.each([
    ["an officer of another post", "ergong", "warning"],
    ["another station's supervisor", "other", "warning"],
    ["another station's admin", "otheradmin", "reminder"],
    ["a post officer, for a reminder", "miaogong", "reminder"],
  ])("answers 404 to %s", async (_name, username, which) => {
    const { ctx, warningId, reminderId } = await setup();
    const res = await get(ctx, which === "warning" ? warningId : reminderId, await ctx.login(username));
    expect(res.status).toBe(404);
  });

  it("answers 404 to a partner for another partner's reminder and for a victim warning", async () => {
    const { ctx, warningId, reminderId, other } = await setup();
    expect((await get(ctx, reminderId, other.apiKey)).status).toBe(404);
    expect((await get(ctx, warningId, other.apiKey)).status).toBe(404);
  });

  it("answers 401 without or with unknown credentials, and 400 for something that is not a message id", async () => {
    const { ctx, warningId } = await setup();
    expect((await get(ctx, warningId)).status).toBe(401);
    expect((await get(ctx, warningId, "pk_unknown")).status).toBe(401);
    expect((await get(ctx, warningId, "not-a-session")).status).toBe(401);
    const res = await get(ctx, "alr_123", await ctx.login("miaogong"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["id"]);
  });
});
