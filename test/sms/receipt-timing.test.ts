import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { pendingReceipts } from "../../schema";
import { writeSubmits } from "../../src/sms/dispatch/message-store";
import { expireStaleSms } from "../../src/sms/receipts/expiry";
import { applyReceipt } from "../../src/sms/receipts/receipts";
import { ManualClock } from "../support/clock";
import { createTestContext } from "../support/context";
import { history, message, migrateOnceBeforeAll, queueTestSms } from "../support/sms";

/** Receipts against time: one overtaking the record of its submit, and one that never comes. */

migrateOnceBeforeAll();

const PHONE = "+8613800138000";

describe("a receipt racing its submit", () => {
  it("applies when the submit is recorded between the receipt's first try and its look", async () => {
    const ctx = await createTestContext();
    const [id] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    const { channel } = await message(ctx, id as string);
    // The engine records the submit right after the receipt's first statement found nothing to settle.
    let statements = 0;
    const db = new Proxy(ctx.deps.db, {
      get(target, key, receiver) {
        if (key !== "execute") return Reflect.get(target, key, receiver);
        return async (query: Parameters<typeof target.execute>[0]) => {
          const result = await target.execute(query);
          if (++statements === 1) {
            await writeSubmits(ctx.deps.db, [
              {
                id: id as string,
                providerMessageId: "prov-1",
                submittedAt: new Date().toISOString(),
                detail: null,
              },
            ]);
          }
          return result;
        };
      },
    });

    const outcome = await applyReceipt(db, { channel, providerMessageId: "prov-1", status: "delivered" });

    expect(outcome).toBe("applied");
    expect((await message(ctx, id as string)).status).toBe("delivered");
    expect((await history(ctx, id as string)).map((h) => h.status)).toEqual([
      "queued",
      "submitted",
      "delivered",
    ]);
  });
});

describe("messages without a receipt", () => {
  it("expire 72 hours after submit; a late receipt still tells the truth", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const [id] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    await ctx.drain();
    const { providerMessageId } = await message(ctx, id as string);

    clock.advance(71 * 3_600_000);
    expect(await expireStaleSms(ctx.deps)).toBe(0);
    clock.advance(2 * 3_600_000);
    expect(await expireStaleSms(ctx.deps)).toBe(1);
    expect(await expireStaleSms(ctx.deps)).toBe(0);

    expect((await message(ctx, id as string)).status).toBe("expired");
    expect((await history(ctx, id as string)).at(-1)).toEqual({
      status: "expired",
      detail: "no delivery receipt within 72 h of submit",
    });

    expect(
      await applyReceipt(ctx.deps.db, {
        channel: "outbox",
        providerMessageId: providerMessageId as string,
        status: "delivered",
      }),
    ).toBe("applied");
    expect((await message(ctx, id as string)).status).toBe("delivered");
  });

  it("a receipt left pending by a process that stopped after recording the submit is applied by the sweep", async () => {
    const ctx = await createTestContext();
    const [id] = await queueTestSms(ctx, [{ to: PHONE, lane: "urgent", purpose: "victim_warning" }]);
    await ctx.drain();
    const { providerMessageId } = await message(ctx, id as string);
    // What the stop leaves: the message submitted, its receipt still pending.
    await ctx.deps.db
      .insert(pendingReceipts)
      .values({ channel: "outbox", providerMessageId: providerMessageId as string, status: "delivered" });

    await expireStaleSms(ctx.deps);

    expect((await message(ctx, id as string)).status).toBe("delivered");
    expect(await ctx.deps.db.select().from(pendingReceipts)).toEqual([]);
  });

  it("drop pending receipts that never matched anything after the same time", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    expect(
      await applyReceipt(ctx.deps.db, {
        channel: "outbox",
        providerMessageId: "nobody",
        status: "delivered",
      }),
    ).toBe("pending");
    await ctx.deps.db.execute(
      sql`update pending_receipts set received_at = ${clock.now().toISOString()}::timestamptz`,
    );
    clock.advance(73 * 3_600_000);
    await expireStaleSms(ctx.deps);
    expect(await ctx.deps.db.select().from(pendingReceipts)).toEqual([]);
  });
});
