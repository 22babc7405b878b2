import { asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { optOuts, parcelEvents, reminderReservations, smsMessages } from "../../schema";
import { releaseDeferredReminders } from "../../src/parcels/release";
import { deferredAtNight, OPENING, type parcelContext, TEMPLATE_A, warmDatabase } from "./support";

beforeAll(warmDatabase);

const eventRows = (ctx: Awaited<ReturnType<typeof parcelContext>>) =>
  ctx.deps.db.select().from(parcelEvents).orderBy(asc(parcelEvents.occurredAt));

describe("releasing reminders deferred by quiet hours", () => {
  it("releases nothing before the window opens, and everything due when it does", async () => {
    const { ctx, partner } = await deferredAtNight(["13800138001", "13800138002"]);

    ctx.clock.set("2026-11-29T09:59:00+08:00");
    const early = await releaseDeferredReminders(ctx.deps, ctx.deps.log);
    ctx.clock.set(OPENING);
    const onTime = await releaseDeferredReminders(ctx.deps, ctx.deps.log);

    expect(early).toEqual({ released: 0, suppressed: 0 });
    expect(onTime).toEqual({ released: 2, suppressed: 0 });
    const sms = await ctx.deps.db.select().from(smsMessages);
    expect(sms.map((m) => [m.lane, m.purpose, m.partnerId, m.body])).toEqual([
      ["bulk", "parcel_reminder", partner.id, TEMPLATE_A],
      ["bulk", "parcel_reminder", partner.id, TEMPLATE_A],
    ]);
    const events = await eventRows(ctx);
    expect(events.map((e) => e.decision)).toEqual(["scheduled", "scheduled"]);
    expect(new Set(events.map((e) => e.messageId))).toEqual(new Set(sms.map((m) => m.id)));
    expect(events.map((e) => e.reason)).toEqual(["quiet_hours", "quiet_hours"]);
  });

  it("releases the events that happened first when a run cannot take them all", async () => {
    const { ctx } = await deferredAtNight(["13800138001", "13800138002", "13800138003"]);
    ctx.clock.set(OPENING);

    await releaseDeferredReminders(ctx.deps, ctx.deps.log, { batchSize: 1, maxBatches: 1 });

    const events = await eventRows(ctx);
    expect(events.map((e) => e.decision)).toEqual(["scheduled", "deferred", "deferred"]);
  });

  it("suppresses a reminder whose recipient opted out overnight, and gives the cap slot back", async () => {
    const { ctx } = await deferredAtNight(["13800138001", "13800138002"]);
    await ctx.deps.db.insert(optOuts).values({
      recipientHash: ctx.deps.pii.hash("+8613800138001"),
      recipientMasked: "138****8001",
      source: "inbound",
    });
    ctx.clock.set(OPENING);

    const result = await releaseDeferredReminders(ctx.deps, ctx.deps.log);

    expect(result).toEqual({ released: 1, suppressed: 1 });
    const events = await eventRows(ctx);
    const optedOut = events.find((e) => e.recipientHash === ctx.deps.pii.hash("+8613800138001"));
    expect(optedOut).toMatchObject({
      decision: "suppressed",
      reason: "opted_out_while_deferred",
      messageId: null,
    });
    const slots = await ctx.deps.db
      .select()
      .from(reminderReservations)
      .where(eq(reminderReservations.recipientHash, ctx.deps.pii.hash("+8613800138001")));
    expect(slots).toEqual([]);
  });

  // Two runs racing: release.pg.test.ts (a race needs two connections).
  it("sends each deferred reminder once when the tick is redelivered", async () => {
    const { ctx } = await deferredAtNight(["13800138001", "13800138002", "13800138003", "13800138004"]);
    ctx.clock.set(OPENING);

    const first = await releaseDeferredReminders(ctx.deps, ctx.deps.log, { batchSize: 2 });
    const again = await releaseDeferredReminders(ctx.deps, ctx.deps.log);

    expect(first.released).toBe(4);
    expect(again).toEqual({ released: 0, suppressed: 0 });
    expect(await ctx.deps.db.select().from(smsMessages)).toHaveLength(4);
  });

  it("spreads the release over time at the configured pace, and leaves what one run cannot pace to the next tick", async () => {
    const phones = Array.from({ length: 7 }, (_, i) => `1380013800${i + 1}`);
    const { ctx } = await deferredAtNight(phones);
    ctx.clock.set(OPENING);
    const waits: number[] = [];
    const queuedBeforeEachWait: number[] = [];
    const wait = async (ms: number) => {
      waits.push(ms);
      queuedBeforeEachWait.push((await ctx.deps.db.select().from(smsMessages)).length);
    };

    // One reminder every 10 s: a 45-second run takes five, one per batch of one.
    const first = await releaseDeferredReminders(ctx.deps, ctx.deps.log, {
      batchSize: 1,
      perSecond: 0.1,
      wait,
    });

    expect(first).toEqual({ released: 5, suppressed: 0 });
    expect(queuedBeforeEachWait).toEqual([1, 2, 3, 4]);
    // Each batch's turn counted from the run's start: 10, 20, 30, 40 s, less the time the batches took.
    expect(waits).toHaveLength(4);
    waits.forEach((ms, i) => {
      expect(ms).toBeLessThanOrEqual((i + 1) * 10_000);
      expect(ms).toBeGreaterThan((i + 1) * 10_000 - 5_000);
    });
    const next = await releaseDeferredReminders(ctx.deps, ctx.deps.log, {
      batchSize: 1,
      perSecond: 0.1,
      wait,
    });
    expect(next).toEqual({ released: 2, suppressed: 0 });
    expect((await eventRows(ctx)).map((e) => e.decision)).toEqual(Array(7).fill("scheduled"));
  });

  it("stops pacing when the runtime stops, leaving the rest deferred for the next tick", async () => {
    const { ctx } = await deferredAtNight(["13800138001", "13800138002", "13800138003"]);
    ctx.clock.set(OPENING);
    const stopping = new AbortController();

    const run = await releaseDeferredReminders(ctx.deps, ctx.deps.log, {
      batchSize: 1,
      perSecond: 0.1,
      signal: stopping.signal,
      wait: async () => stopping.abort(),
    });

    expect(run).toEqual({ released: 1, suppressed: 0 });
    expect((await eventRows(ctx)).map((e) => e.decision)).toEqual(["scheduled", "deferred", "deferred"]);
  });

  it("runs as the scheduled consumer of parcels.release", async () => {
    const { ctx } = await deferredAtNight(["13800138001"]);
    ctx.clock.set(OPENING);

    await ctx.deps.queue.publish([{ queue: "parcel-release", message: { type: "parcels.release", v: 1 } }]);
    await ctx.drain();

    const [event] = await eventRows(ctx);
    const [sms] = await ctx.deps.db.select().from(smsMessages);
    expect(event?.decision).toBe("scheduled");
    expect(sms?.id).toBe(event?.messageId);
    // drain() also ran the bulk lane: the reminder went out.
    expect(sms?.status).not.toBe("queued");
  });
});
