import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox, partners } from "../../schema";
import { shanghaiDate } from "../../src/calendar";
import { queryRows } from "../../src/db/client";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import { message, migrateOnceBeforeAll, queueTestSms } from "../support/sms";

migrateOnceBeforeAll();

/**
 * A queue batch of sms.send jobs is claimed, admitted and recorded with a statement per step for all of its
 * messages (src/sms/dispatch/send.ts, sendSmsBatch). What a batch shares must never change what each message gets.
 */

const START = "2026-11-28T02:00:00Z";

async function setup(env: Record<string, string> = {}) {
  const ctx = await createTestContext({ clock: new ManualClock(START), env });
  const partner = await aPartner(ctx);
  return { ctx, partner };
}

async function outbox(ctx: TestContext) {
  return ctx.deps.db.select().from(devOutbox);
}

async function jobsLeft(ctx: TestContext) {
  const [row] = await queryRows<{ n: number }>(
    ctx.deps.db,
    sql`select count(*)::int as n from jobs where queue in ('sms-urgent', 'sms-bulk')`,
  );
  return Number(row?.n);
}

async function numberCount(ctx: TestContext, phone: string) {
  const key = `num:outbox:${ctx.deps.pii.hash(phone)}`;
  const [row] = await queryRows<{ count: number }>(
    ctx.deps.db,
    sql`select count from daily_usage where key = ${key} and day = ${shanghaiDate(new Date(START))}::date`,
  );
  return row ? Number(row.count) : 0;
}

describe("a batch of SMS sends", () => {
  it("sends one SMS when the same message's job is in the batch twice, and settles both jobs", async () => {
    const { ctx, partner } = await setup();
    const [id] = await queueTestSms(ctx, [{ to: "+8613800138000", partnerId: partner.id }]);
    // A re-drive published a second job before the first was consumed.
    await ctx.deps.queue.publish([
      { queue: "sms-bulk", message: { type: "sms.send", v: 1, messageId: id as string } },
    ]);

    await ctx.drain();

    expect(await outbox(ctx)).toHaveLength(1);
    expect((await message(ctx, id as string)).status).toBe("submitted");
    expect(await jobsLeft(ctx)).toBe(0);
  });

  it("counts every warning of a batch toward its number's daily cap, two to one number as two", async () => {
    const { ctx } = await setup();
    const phone = "+8613800138001";
    await queueTestSms(ctx, [
      { to: phone, lane: "urgent", purpose: "victim_warning" },
      { to: phone, lane: "urgent", purpose: "officer_notification" },
      { to: "+8613800138002", lane: "urgent", purpose: "victim_warning" },
    ]);

    await ctx.drain();

    expect(await outbox(ctx)).toHaveLength(3);
    expect(await numberCount(ctx, phone)).toBe(2);
    expect(await numberCount(ctx, "+8613800138002")).toBe(1);
  });

  it("admits reminders to one number one at a time within a batch, so the cap holds exactly", async () => {
    // Cap 6, 1 kept for warnings: 5 reminders may go to one number today, among others to other numbers.
    const { ctx, partner } = await setup({
      SMS_PER_NUMBER_DAILY_CAP: "6",
      SMS_PER_NUMBER_URGENT_RESERVE: "1",
    });
    const hot = "+8613800138003";
    const ids = await queueTestSms(ctx, [
      ...Array.from({ length: 8 }, () => ({ to: hot, partnerId: partner.id })),
      ...Array.from({ length: 10 }, (_, i) => ({
        to: `+86138001381${String(i).padStart(2, "0")}`,
        partnerId: partner.id,
      })),
    ]);

    await ctx.drain();

    const statuses = await Promise.all(ids.map((id) => message(ctx, id)));
    const toHot = statuses.slice(0, 8);
    expect(toHot.filter((m) => m.status === "submitted")).toHaveLength(5);
    expect(toHot.filter((m) => m.holdReason === "per_number_cap")).toHaveLength(3);
    expect(statuses.slice(8).every((m) => m.status === "submitted")).toBe(true);
    expect(await numberCount(ctx, hot)).toBe(5);
  });

  it("retries only the message that failed, not the rest of its batch", async () => {
    const { ctx, partner } = await setup();
    // A partner sending through its own API, whose configuration is broken: its channel cannot be built.
    const broken = await aPartner(ctx, { channel: "partner_http", smsApi: { url: "not a url" } });
    const [good, bad] = await queueTestSms(ctx, [
      { to: "+8613800138004", partnerId: partner.id },
      { to: "+8613800138005", partnerId: broken.id },
    ]);

    await ctx.drain();

    expect((await message(ctx, good as string)).status).toBe("submitted");
    expect(await outbox(ctx)).toHaveLength(1);
    const badNow = await message(ctx, bad as string);
    expect(badNow).toMatchObject({ status: "queued", leaseUntil: null });
    expect(badNow.lastError).toMatch(/smsApi is invalid/);
    // Its job stays for a later retry; the good one's is gone.
    const [job] = await queryRows<{ payload: { messageId: string }; receive_count: number }>(
      ctx.deps.db,
      sql`select payload, receive_count from jobs where queue = 'sms-bulk'`,
    );
    expect(job?.payload.messageId).toBe(bad);
    expect(await jobsLeft(ctx)).toBe(1);
  });

  it("counts a partner's quota as sent, within one chunk, however many sends of a batch run at once", async () => {
    const { ctx, partner } = await setup();
    // A quota of a million is taken in chunks of 100 parts (src/sms/counters/quota-leases.ts, QuotaLeases).
    await ctx.deps.db.update(partners).set({ dailyQuota: 1_000_000 }).where(eq(partners.id, partner.id));
    await queueTestSms(
      ctx,
      Array.from({ length: 150 }, (_, i) => ({
        to: `+8613900${String(i).padStart(6, "0")}`,
        partnerId: partner.id,
      })),
    );

    await ctx.drain();

    expect(await outbox(ctx)).toHaveLength(150);
    const [row] = await queryRows<{ count: number }>(
      ctx.deps.db,
      sql`select count from daily_usage where key = ${`quota:${partner.id}`}`,
    );
    expect(Number(row?.count)).toBeGreaterThanOrEqual(150);
    expect(Number(row?.count)).toBeLessThanOrEqual(150 + 100);
  });

  it("sends a batch whose shared admission statement fails, each reminder admitted on its own", async () => {
    const { ctx, partner } = await setup();
    // The batch's one admission statement is aborted, as PostgreSQL aborts one of two deadlocked statements;
    // a statement counting a single number goes through.
    await ctx.deps.db.execute(sql`
      create function fail_batched_admission() returns trigger language plpgsql as $$
      begin
        if (select count(*) from counted where key like 'num:%') > 1 then
          raise exception 'deadlock detected (simulated)';
        end if;
        return null;
      end $$`);
    await ctx.deps.db.execute(sql`
      create trigger fail_batched_admission after insert on daily_usage
      referencing new table as counted for each statement execute function fail_batched_admission()`);
    const phones = ["+8613800138001", "+8613800138002", "+8613800138003"];
    const ids = await queueTestSms(
      ctx,
      phones.map((to) => ({ to, partnerId: partner.id })),
    );

    await ctx.drain();

    // Before, the claimed batch stayed leased and every retry found it "leased by another sender".
    for (const id of ids) expect((await message(ctx, id)).status).toBe("submitted");
    expect(await outbox(ctx)).toHaveLength(3);
    for (const phone of phones) expect(await numberCount(ctx, phone)).toBe(1);
    expect(await jobsLeft(ctx)).toBe(0);
  });
});
