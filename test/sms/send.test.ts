import { eq, sql } from "drizzle-orm";
import { delay, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { devOutbox } from "../../schema";
import { queryRows } from "../../src/db/client";
import { OutboxChannel } from "../../src/sms/channels/outbox-channel";
import { applyReceipt } from "../../src/sms/receipts/receipts";
import { createTestContext } from "../support/context";
import {
  gatewayApi,
  gatewayEnv,
  history,
  message,
  migrateOnceBeforeAll,
  releaseDelayedSmsJobs,
  smsJobDelays,
} from "../support/sms";
import {
  accepted,
  businessCode,
  type GatewayRequest,
  gatewayWithLookup,
  hangs,
  sendOne,
  simulatedGateway,
  status,
} from "../support/sms-gateway";

migrateOnceBeforeAll();

const gateway = simulatedGateway();
const gatewayAnswering = gateway.answering;

describe("sending through an HTTP gateway", () => {
  it("submits with our message id as client reference and records the provider's id", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(accepted("gw-1"));

    const id = await sendOne(ctx);

    expect(sent).toEqual([
      {
        outId: id,
        mobile: "13800138000",
        content: "【昌吉公安】警惕冒充客服退款诈骗，拒收请回复R",
        signName: "昌吉公安",
        authorization: "Bearer gateway-token",
        at: expect.any(Number),
      },
    ]);
    const m = await message(ctx, id);
    expect(m).toMatchObject({ status: "submitted", providerMessageId: "gw-1", attempts: 1, channel: "http" });
    expect((await history(ctx, id)).map((h) => h.status)).toEqual(["queued", "submitted"]);
  });

  it("waits for a slow answer within the timeout", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    gatewayAnswering(async (s) => {
      await delay(150);
      return accepted()(s);
    });
    const id = await sendOne(ctx);
    expect((await message(ctx, id)).status).toBe("submitted");
  });

  it("honours 429 Retry-After: the retry reaches the gateway no sooner, and the channel's limiter backs off", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(status(429, { "retry-after": "2" }), accepted());
    // The 2 s run from the 429, by the database's clock; by the time they are read, at most the time since
    // before the send has passed (a fixed margin, 0.2 s, was broken by a busy machine).
    const started = performance.now();
    const secondsSinceSend = () => (performance.now() - started) / 1000;

    const id = await sendOne(ctx);
    expect((await message(ctx, id)).status).toBe("queued");
    const [due] = await smsJobDelays(ctx);
    expect(due).toBeGreaterThan(2 - secondsSinceSend());
    expect(due).toBeLessThan(2.5);
    const [limit] = await queryRows<{ ahead: number }>(
      ctx.deps.db,
      sql`select extract(epoch from tat - clock_timestamp())::float8 as ahead from rate_limits where key = 'ch:http'`,
    );
    expect(Number(limit?.ahead)).toBeGreaterThan(2 - secondsSinceSend());

    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent).toHaveLength(2);
    expect((sent[1] as GatewayRequest).at - (sent[0] as GatewayRequest).at).toBeGreaterThanOrEqual(1_950);
    expect(await message(ctx, id)).toMatchObject({ status: "submitted", attempts: 2 });
    const h = await history(ctx, id);
    expect(h.map((e) => e.status)).toEqual(["queued", "queued", "submitted"]);
    expect(h[1]?.detail).toContain("429");
  });

  it("puts even urgent back on the queue when Retry-After is longer than it may wait, instead of outsleeping its lease", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(status(429, { "retry-after": "30" }), accepted());

    const id = await sendOne(ctx);
    await releaseDelayedSmsJobs(ctx); // the retry job comes early (a redelivery): the limiter still says wait
    await ctx.drain();

    expect(sent).toHaveLength(1);
    expect(await message(ctx, id)).toMatchObject({ status: "queued", leaseUntil: null });
    const [due] = await smsJobDelays(ctx);
    expect(due).toBeGreaterThan(25);
    expect(due).toBeLessThan(31);
  });

  it("retries 5xx with growing, jittered delays and gives up after SMS_MAX_ATTEMPTS", async () => {
    const ctx = await createTestContext({ env: gatewayEnv(gatewayApi(), { SMS_MAX_ATTEMPTS: "3" }) });
    const sent = gatewayAnswering(status(503));

    // Bulk backoff starts at 5 s: attempt 1 waits 2.5–5 s, attempt 2 waits 5–10 s, from when the retry is
    // scheduled; by the time a delay is read, at most the time since before that send has passed (a fixed
    // margin, 0.1 s, was broken by a busy machine, as in the Retry-After test above).
    let started = performance.now();
    const secondsSinceSend = () => (performance.now() - started) / 1000;
    const id = await sendOne(ctx, "bulk");
    const [first] = await smsJobDelays(ctx);
    expect(first).toBeGreaterThan(2.5 - secondsSinceSend());
    expect(first).toBeLessThan(5.1);
    await releaseDelayedSmsJobs(ctx);
    started = performance.now();
    await ctx.drain();
    const [second] = await smsJobDelays(ctx);
    expect(second).toBeGreaterThan(5 - secondsSinceSend());
    expect(second).toBeLessThan(10.1);
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent).toHaveLength(3);
    const m = await message(ctx, id);
    expect(m.status).toBe("failed");
    expect(m.attempts).toBe(3);
    expect((await history(ctx, id)).at(-1)?.detail).toMatch(/^gave up after 3 attempts: http answered 503/);
    expect(await smsJobDelays(ctx)).toEqual([]);
  });

  it.each([
    ["400 Bad Request", status(400)],
    ["a refusal code in a 200 answer", businessCode("isv.MOBILE_NUMBER_ILLEGAL")],
  ])("does not retry a permanent failure: %s", async (_name, answer) => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(answer);

    const id = await sendOne(ctx);
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent).toHaveLength(1);
    expect(await message(ctx, id)).toMatchObject({ status: "failed", attempts: 1 });
    expect((await history(ctx, id)).map((h) => h.status)).toEqual(["queued", "failed"]);
  });

  it("retries a business code the API lists as transient", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(businessCode("BUSY"), accepted());
    const id = await sendOne(ctx);
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();
    expect(sent).toHaveLength(2);
    expect((await message(ctx, id)).status).toBe("submitted");
  });

  it("never puts the phone number into stored errors, even when the gateway echoes it", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    gatewayAnswering(() =>
      HttpResponse.json({ code: "ERR", message: "bad number 13800138000" }, { status: 400 }),
    );
    const id = await sendOne(ctx);
    const m = await message(ctx, id);
    expect(m.lastError).toContain("138****8000");
    expect(JSON.stringify(await history(ctx, id))).not.toContain("13800138000");
  });
});

describe("an answer that may or may not mean the SMS went out", () => {
  it.each([
    ["a timeout", hangs],
    ["a 504 from the gateway's proxy", status(504)],
    ["a 200 that is not JSON", () => new HttpResponse("<html>ok</html>", { status: 200 })],
    ["a 200 without a message id", () => HttpResponse.json({ code: "OK", data: {} })],
  ])("is not re-sent when the API can neither de-duplicate nor be asked: %s", async (_name, answer) => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gatewayAnswering(answer, accepted());

    const id = await sendOne(ctx);
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent).toHaveLength(1);
    const m = await message(ctx, id);
    expect(m).toMatchObject({ status: "submitted", providerMessageId: null });
    expect((await history(ctx, id)).at(-1)?.detail).toMatch(
      /outcome unknown .*not re-sent to avoid a double/,
    );

    // A receipt naming our id (the client reference) settles it.
    expect(
      await applyReceipt(ctx.deps.db, {
        channel: "http",
        messageId: id,
        providerMessageId: "gw-9",
        status: "delivered",
      }),
    ).toBe("applied");
    expect(await message(ctx, id)).toMatchObject({ status: "delivered", providerMessageId: "gw-9" });
  });

  it("asks the gateway by client reference before re-sending, and does not re-send what it already has", async () => {
    const ctx = await createTestContext({ env: gatewayEnv(gatewayWithLookup()) });
    const accepted_ = new Map<string, string>();
    const sent = gatewayAnswering(async (s) => {
      accepted_.set(s.outId, "gw-took-it"); // the gateway took it, then our connection timed out
      return hangs(s);
    });
    const lookups = gateway.lookups((outId) => accepted_.get(outId));

    const id = await sendOne(ctx);
    expect(await message(ctx, id)).toMatchObject({ status: "queued", holdReason: "outcome_unknown" });
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent).toHaveLength(1);
    expect(lookups).toEqual([id]);
    expect(await message(ctx, id)).toMatchObject({ status: "submitted", providerMessageId: "gw-took-it" });
    expect((await history(ctx, id)).at(-1)?.detail).toBe("provider had it: found by client reference");
  });

  it("re-sends after the lookup finds nothing: the first request never arrived", async () => {
    const ctx = await createTestContext({ env: gatewayEnv(gatewayWithLookup()) });
    const sent = gatewayAnswering(hangs, accepted("gw-2"));
    gateway.lookups(() => undefined);

    const id = await sendOne(ctx);
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent.map((s) => s.outId)).toEqual([id, id]);
    expect(await message(ctx, id)).toMatchObject({
      status: "submitted",
      providerMessageId: "gw-2",
      holdReason: null,
    });
  });

  it("re-sends with the same client reference when the gateway de-duplicates by it", async () => {
    const ctx = await createTestContext({ env: gatewayEnv(gatewayApi({ dedupesByClientReference: true })) });
    const sent = gatewayAnswering(hangs, accepted("gw-same"));

    const id = await sendOne(ctx);
    expect(await message(ctx, id)).toMatchObject({ status: "queued", holdReason: null });
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    expect(sent.map((s) => s.outId)).toEqual([id, id]);
    expect(await message(ctx, id)).toMatchObject({ status: "submitted", providerMessageId: "gw-same" });
  });

  it("dev outbox: a lost answer is retried and still records one SMS, because the outbox is keyed by our id", async () => {
    const ctx = await createTestContext();
    const rolls = [0.99, 0.1]; // first send: not a 503, but its answer is lost
    ctx.deps.sms = new OutboxChannel(ctx.deps.db, {
      receiptDelayMs: -1,
      failureRate: 0,
      onReceipt: async () => {},
      lostAnswerRate: 0.5,
      random: () => rolls.shift() ?? 0.99,
    });

    const id = await sendOne(ctx);
    expect((await message(ctx, id)).status).toBe("queued");
    await releaseDelayedSmsJobs(ctx);
    await ctx.drain();

    const rows = await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, id));
    expect(rows).toHaveLength(1);
    expect(await message(ctx, id)).toMatchObject({
      status: "submitted",
      providerMessageId: rows[0]?.id,
      attempts: 2,
    });
  });
});
