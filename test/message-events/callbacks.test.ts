import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "../../schema";
import { verifySignature } from "../../src/signature";
import { aCampaign, anEvent, decide, parcelContext, warmDatabase } from "../parcels/support";
import { releaseDelayedJobs } from "../support/feedback";
import { aPartner } from "../support/partners";
import { startReceiver } from "../support/receiver";
import { partnerGet, partnerSend, pullAll, receiptFor, tick } from "./support";

beforeAll(warmDatabase);

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiverAnswering(...statuses: number[]) {
  const receiver = await startReceiver(...statuses);
  receivers.push(receiver);
  return receiver;
}

/** A partner with a campaign to send under and its status callback set to the receiver; returns the secret. */
async function integrator(ctx: Awaited<ReturnType<typeof parcelContext>>, receiver: Receiver) {
  const partner = await aPartner(ctx);
  await aCampaign(ctx);
  const res = await partnerSend(ctx, partner, "PUT", "/message-callback", { url: receiver.url });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { secret: string; callback: { status: string } };
  expect(body.callback.status).toBe("active");
  // Setting the callback queues a delivery. Run it now, while there is nothing to send: left queued, it would run
  // inside the next drain right after the reminders' submits, and on a PostgreSQL server shared with other test
  // workers their open transactions can hide the newest events from it (src/message-events/stream.ts), so its
  // first batch would hold only some of them. The tests' deliveries then start from tick(), which waits until
  // every event is readable.
  await ctx.drain();
  return { partner, secret: body.secret };
}

/** Four reminders to four people: each scheduled, then submitted once the bulk lane ran. */
async function fourReminders(
  ctx: Awaited<ReturnType<typeof parcelContext>>,
  partner: { id: string; apiKey: string },
) {
  const results = await decide(
    ctx,
    partner,
    ["13800138001", "13800138002", "13800138003", "13800138004"].map((recipientPhone) =>
      anEvent({ recipientPhone }),
    ),
  );
  await ctx.drain();
  return results.map((r) => r.messageId as string);
}

/** Runs due deliveries: the queue's delayed retries made visible, the clock moved past the backoff. */
async function afterBackoff(ctx: Awaited<ReturnType<typeof parcelContext>>, hours = 2) {
  ctx.clock.advance(hours * 3_600_000);
  await releaseDelayedJobs(ctx);
  await tick(ctx);
}

function perWaybill(events: { waybillNo: string; status: string }[]) {
  const by = new Map<string, string[]>();
  for (const e of events) by.set(e.waybillNo, [...(by.get(e.waybillNo) ?? []), e.status]);
  return by;
}

describe("partner status callbacks, against a real local receiver", () => {
  it("POSTs every status change signed like feed callbacks, in batches of at most N, each reminder in order", async () => {
    const ctx = await parcelContext({ env: { PARTNER_CALLBACK_BATCH_SIZE: "3" } });
    const receiver = await receiverAnswering(200);
    const { partner, secret } = await integrator(ctx, receiver);

    const messageIds = await fourReminders(ctx, partner);
    for (const id of messageIds) await receiptFor(ctx, id, "delivered");
    await tick(ctx);

    const pulled = (await pullAll(ctx, partner)).events;
    expect(pulled).toHaveLength(12);
    expect(receiver.events().map((e) => e.id)).toEqual(pulled.map((e) => e.id));
    // Batches hold what was waiting when each went, never more than three.
    const sizes = receiver.received.map((r) => r.body.events.length);
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b)).toBe(12);
    for (const post of receiver.received) {
      expect(post.body.partnerId).toBe(partner.id);
      expect(verifySignature(post.headers["x-signature"], secret, post.raw, ctx.clock.now(), 300)).toEqual({
        ok: true,
      });
      expect(post.headers["x-event-id"]).toBe(post.body.events.at(-1)?.id);
    }
    for (const statuses of perWaybill(receiver.events()).values())
      expect(statuses).toEqual(["scheduled", "submitted", "delivered"]);
    const state = (await (await partnerGet(ctx, partner, "/message-callback")).json()) as Record<
      string,
      unknown
    >;
    expect(state).toMatchObject({ status: "active", pendingEvents: 0, attempts: 0, lastError: null });
  });

  it("keeps retrying through the receiver's outage with backoff, then delivers everything in order", async () => {
    const ctx = await parcelContext();
    const receiver = await receiverAnswering(503, 503, 200);
    const { partner } = await integrator(ctx, receiver);
    await fourReminders(ctx, partner);

    await tick(ctx);
    expect(receiver.received).toHaveLength(1);
    const failing = (await (await partnerGet(ctx, partner, "/message-callback")).json()) as Record<
      string,
      unknown
    >;
    expect(failing).toMatchObject({ status: "active", attempts: 1, lastError: "HTTP 503", pendingEvents: 8 });

    // Not due yet: the backoff holds the next attempt back, however often the scheduler ticks.
    await releaseDelayedJobs(ctx);
    await tick(ctx);
    expect(receiver.received).toHaveLength(1);

    await afterBackoff(ctx);
    await afterBackoff(ctx);
    expect(receiver.received.map((r) => r.body.events.length)).toEqual([8, 8, 8]);
    expect(perWaybill(receiver.events().slice(16)).size).toBe(4);
    const after = (await (await partnerGet(ctx, partner, "/message-callback")).json()) as Record<
      string,
      unknown
    >;
    expect(after).toMatchObject({ status: "active", attempts: 0, pendingEvents: 0, lastError: null });
  });

  it("dead-letters the stream when the receiver stays down past the retry window; a re-drive delivers what waited, in order", async () => {
    const ctx = await parcelContext({ env: { FEEDBACK_RETRY_HOURS: "3" } });
    const receiver = await receiverAnswering(200);
    const { partner } = await integrator(ctx, receiver);
    await receiver.down();
    const messageIds = await fourReminders(ctx, partner);

    await tick(ctx);
    for (let i = 0; i < 4; i++) await afterBackoff(ctx);
    const dead = (await (await partnerGet(ctx, partner, "/message-callback")).json()) as Record<
      string,
      unknown
    >;
    expect(dead).toMatchObject({ status: "dead", pendingEvents: 8 });
    expect(String(dead.lastError)).toMatch(/network error: ECONNREFUSED .*gave up after/);

    // Dead: nothing more is tried, while new changes keep being recorded behind it.
    for (const id of messageIds) await receiptFor(ctx, id, "delivered");
    await afterBackoff(ctx);
    const admin = await ctx.login("admin");
    const listed = await ctx.app.request("/v1/message-callbacks/dead-letters", {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(((await listed.json()) as { deadLetters: unknown[] }).deadLetters).toEqual([
      expect.objectContaining({ partnerId: partner.id, pendingEvents: 12, url: receiver.url }),
    ]);

    await receiver.up();
    const redrive = await partnerSend(ctx, partner, "POST", "/message-callback/redrive", {
      reason: "receiver fixed",
    });
    expect(redrive.status).toBe(200);
    await ctx.drain();

    for (const statuses of perWaybill(receiver.events()).values())
      expect(statuses).toEqual(["scheduled", "submitted", "delivered"]);
    expect(receiver.events()).toHaveLength(12);
    const [audit] = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.action} = 'partner.callback_redriven'`);
    expect(audit).toMatchObject({ targetId: partner.id, reason: "receiver fixed", officerId: null });
    const again = await partnerSend(ctx, partner, "POST", "/message-callback/redrive", {});
    expect(again.status).toBe(409);
  });

  it("kills the stream at once on a refusal (410) and an admin can re-drive it", async () => {
    const ctx = await parcelContext();
    const receiver = await receiverAnswering(410, 200);
    const { partner } = await integrator(ctx, receiver);
    await fourReminders(ctx, partner);
    await tick(ctx);
    const dead = (await (await partnerGet(ctx, partner, "/message-callback")).json()) as Record<
      string,
      unknown
    >;
    expect(dead).toMatchObject({ status: "dead", lastError: "HTTP 410", attempts: 1 });

    const admin = await ctx.login("admin");
    const res = await ctx.app.request(`/v1/message-callbacks/${partner.id}/redrive`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "partner moved its receiver back" }),
    });
    expect(res.status).toBe(200);
    await ctx.drain();
    expect(receiver.received.map((r) => r.body.events.length)).toEqual([8, 8]);
  });

  it("refuses a callback URL that is not http(s) naming `url`; a new one starts after the events already written", async () => {
    const ctx = await parcelContext();
    const receiver = await receiverAnswering(200);
    const partner = await aPartner(ctx);
    await aCampaign(ctx);
    const bad = await partnerSend(ctx, partner, "PUT", "/message-callback", {
      url: "ftp://courier.example/x",
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('"url"');

    await decide(ctx, partner, [anEvent()]);
    await partnerSend(ctx, partner, "PUT", "/message-callback", { url: receiver.url });
    await ctx.drain();
    await tick(ctx);
    expect(receiver.events().map((e) => e.status)).toEqual(["submitted"]);

    const moved = await partnerSend(ctx, partner, "PUT", "/message-callback", { url: receiver.url });
    expect(((await moved.json()) as { secret?: string }).secret).toBeUndefined();
    expect((await partnerSend(ctx, partner, "DELETE", "/message-callback")).status).toBe(204);
    expect((await partnerGet(ctx, partner, "/message-callback")).status).toBe(404);
  });
});
