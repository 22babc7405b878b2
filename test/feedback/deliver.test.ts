import { eq } from "drizzle-orm";
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { alertEvents } from "../../schema";
import { verifySignature } from "../../src/signature";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import {
  alertRow,
  CALLBACK_URL,
  feedbackEvent,
  givenVerifiedAlert,
  queuedJobs,
  releaseDelayedJobs,
  setCallbackUrl,
  timelineKinds,
} from "../support/feedback";

/** The feed's callback receiver: msw answers in its place; anything else leaving the process fails the test. */
const receiver = setupServer();
beforeAll(() => receiver.listen({ onUnhandledRequest: "error" }));
afterEach(() => receiver.resetHandlers());
afterAll(() => receiver.close());

interface Received {
  eventId: string | null;
  signatureOk: boolean;
  body: Record<string, unknown>;
}

/** Answers with `responses` in turn (the last one repeats), recording what each request carried. */
function receiverAnswering(
  ctx: TestContext,
  clock: ManualClock,
  ...responses: (() => Response | Promise<Response>)[]
) {
  const received: Received[] = [];
  receiver.use(
    http.post(CALLBACK_URL, async ({ request }) => {
      const raw = await request.text();
      const check = verifySignature(
        request.headers.get("x-signature") ?? undefined,
        ctx.fixture.source.secret,
        raw,
        clock.now(),
        300,
      );
      received.push({
        eventId: request.headers.get("x-event-id"),
        signatureOk: check.ok,
        body: JSON.parse(raw),
      });
      const answer = responses[Math.min(received.length, responses.length) - 1] as () => Response;
      return answer();
    }),
  );
  return received;
}

const ok = () => HttpResponse.json({ received: true });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    new HttpResponse(null, { status: code, headers });

async function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock, env });
  await setCallbackUrl(ctx, CALLBACK_URL);
  return { ctx, clock };
}

/** Moves the clock to the event's next attempt and lets the delayed delivery job run. */
async function untilNextAttempt(ctx: TestContext, clock: ManualClock, eventId: string) {
  const event = await feedbackEvent(ctx, eventId);
  const next = event.nextAttemptAt as Date;
  clock.advance(Math.max(0, next.getTime() - clock.now().getTime()));
  await releaseDelayedJobs(ctx);
  await ctx.drain();
}

describe("feedback callbacks (快反)", () => {
  it("delivers a signed callback with the event id, and the alert reaches fed_back", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, ok);
    const { alertId, eventId } = await givenVerifiedAlert(ctx);

    await ctx.drain();

    expect(received).toHaveLength(1);
    expect(received[0]?.signatureOk).toBe(true);
    expect(received[0]?.eventId).toBe(eventId);
    expect(received[0]?.body).toMatchObject({
      eventId,
      alertId,
      externalId: expect.stringMatching(/^YJ-/),
      outcome: "dissuaded",
      amountProtected: 5_000_000,
      stageTimes: { receivedAt: expect.any(String), verifiedAt: expect.any(String) },
    });
    expect(JSON.stringify(received[0]?.body)).not.toMatch(/137\d{8}/);
    const event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({
      status: "delivered",
      attempts: 1,
      deliveredAt: clock.now(),
      nextAttemptAt: null,
    });
    const alert = await alertRow(ctx, alertId);
    expect(alert.stage).toBe("fed_back");
    expect(alert.fedBackAt).toEqual(clock.now());
    expect(await timelineKinds(ctx, alertId)).toEqual(
      expect.arrayContaining(["feedback_queued", "feedback_delivered"]),
    );
    expect(await queuedJobs(ctx, "feedback")).toEqual([]);
  });

  it("retries after 500 twice with growing jittered waits, then delivers", async () => {
    const { ctx, clock } = await setup({ FEEDBACK_RETRY_BASE_SECONDS: "30" });
    const received = receiverAnswering(ctx, clock, status(500), status(500), ok);
    const { alertId, eventId } = await givenVerifiedAlert(ctx);

    await ctx.drain();
    let event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 500" });
    const firstWait = (event.nextAttemptAt as Date).getTime() - clock.now().getTime();
    expect(firstWait).toBeGreaterThanOrEqual(1000);
    expect(firstWait).toBeLessThanOrEqual(30_000);
    const [job] = await queuedJobs(ctx, "feedback");
    expect(job?.payload).toMatchObject({ type: "feedback.deliver", eventId, attempt: 1 });
    expect(job?.delaySeconds).toBeGreaterThan(0);
    expect((await alertRow(ctx, alertId)).stage).toBe("verified");

    await untilNextAttempt(ctx, clock, eventId);
    event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "pending", attempts: 2, lastError: "HTTP 500" });
    expect((event.nextAttemptAt as Date).getTime() - clock.now().getTime()).toBeLessThanOrEqual(60_000);

    await untilNextAttempt(ctx, clock, eventId);
    event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "delivered", attempts: 3, lastError: null });
    expect(received.map((r) => r.eventId)).toEqual([eventId, eventId, eventId]);
    expect(received.every((r) => r.signatureOk)).toBe(true);
    const alert = await alertRow(ctx, alertId);
    expect(alert.stage).toBe("fed_back");
    expect(alert.fedBackAt).toEqual(clock.now());
  });

  it("counts a receiver slower than FEEDBACK_TIMEOUT_MS as failed and retries", async () => {
    const { ctx, clock } = await setup({ FEEDBACK_TIMEOUT_MS: "100" });
    const received = receiverAnswering(
      ctx,
      clock,
      async () => {
        await delay(1000);
        return ok();
      },
      ok,
    );
    const { alertId, eventId } = await givenVerifiedAlert(ctx);

    const started = performance.now();
    await ctx.drain();
    expect(performance.now() - started).toBeLessThan(900);
    let event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "pending", attempts: 1, lastError: "no answer within 100 ms" });
    expect((await alertRow(ctx, alertId)).stage).toBe("verified");

    await untilNextAttempt(ctx, clock, eventId);
    event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "delivered", attempts: 2 });
    expect(received).toHaveLength(2);
    expect((await alertRow(ctx, alertId)).stage).toBe("fed_back");
  });

  it("retries a network error", async () => {
    const { ctx, clock } = await setup();
    receiverAnswering(ctx, clock, () => HttpResponse.error(), ok);
    const { eventId } = await givenVerifiedAlert(ctx);

    await ctx.drain();
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: expect.stringMatching(/^network error/),
    });
    await untilNextAttempt(ctx, clock, eventId);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("delivered");
  });

  it("dead-letters at once on 410: no retry, the alert stays verified", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, status(410));
    const { alertId, eventId } = await givenVerifiedAlert(ctx);

    await ctx.drain();

    expect(received).toHaveLength(1);
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({
      status: "dead",
      attempts: 1,
      lastError: "HTTP 410",
      deadAt: clock.now(),
      nextAttemptAt: null,
    });
    const alert = await alertRow(ctx, alertId);
    expect(alert.stage).toBe("verified");
    expect(alert.fedBackAt).toBeNull();
    expect(await timelineKinds(ctx, alertId)).toContain("feedback_dead_lettered");
    expect(await queuedJobs(ctx, "feedback")).toEqual([]);
  });

  it.each([408, 503])("treats %i as transient", async (code) => {
    const { ctx, clock } = await setup();
    receiverAnswering(ctx, clock, status(code));
    const { eventId } = await givenVerifiedAlert(ctx);
    await ctx.drain();
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({ status: "pending", lastError: `HTTP ${code}` });
  });

  it("honours Retry-After on 429, waiting in hops of at most 900 s without calling early", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, status(429, { "retry-after": "3600" }), ok);
    const { eventId } = await givenVerifiedAlert(ctx);

    await ctx.drain();
    const event = await feedbackEvent(ctx, eventId);
    expect(event).toMatchObject({ status: "pending", attempts: 1, lastError: "HTTP 429" });
    expect(event.nextAttemptAt).toEqual(new Date(clock.now().getTime() + 3600_000));
    const [job] = await queuedJobs(ctx, "feedback");
    expect(job?.delaySeconds).toBeGreaterThan(890);
    expect(job?.delaySeconds).toBeLessThanOrEqual(900);

    // 15 minutes on: the message comes back, finds the retry not yet due, and puts itself back.
    clock.advanceMinutes(15);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(received).toHaveLength(1);
    expect((await queuedJobs(ctx, "feedback")).map((j) => j.payload)).toEqual([
      expect.objectContaining({ eventId, attempt: 1 }),
    ]);

    clock.advanceMinutes(45);
    await releaseDelayedJobs(ctx);
    await ctx.drain();
    expect(received).toHaveLength(2);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("delivered");
  });

  it("gives up after FEEDBACK_RETRY_HOURS and dead-letters the event", async () => {
    const { ctx, clock } = await setup({
      FEEDBACK_RETRY_HOURS: "1",
      FEEDBACK_RETRY_BASE_SECONDS: "60",
      FEEDBACK_RETRY_MAX_DELAY_SECONDS: "600",
    });
    const received = receiverAnswering(ctx, clock, status(503));
    const { alertId, eventId } = await givenVerifiedAlert(ctx);
    const createdAt = clock.now().getTime();

    await ctx.drain();
    for (let i = 0; i < 200 && (await feedbackEvent(ctx, eventId)).status === "pending"; i++) {
      await untilNextAttempt(ctx, clock, eventId);
    }

    const event = await feedbackEvent(ctx, eventId);
    expect(event.status).toBe("dead");
    expect(event.attempts).toBe(received.length);
    expect(event.attempts).toBeGreaterThan(3);
    expect(event.lastError).toMatch(/^HTTP 503 \(gave up after \d+ attempts\)$/);
    // Every attempt fell inside the hour, and the last one was the one whose next wait would leave it.
    expect((event.deadAt as Date).getTime() - createdAt).toBeLessThanOrEqual(3600_000);
    expect(await timelineKinds(ctx, alertId)).toContain("feedback_dead_lettered");
  });

  it("does nothing for a redelivered message of a delivered event", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, ok);
    const { eventId } = await givenVerifiedAlert(ctx);
    await ctx.drain();

    await ctx.deps.queue.publish([
      { queue: "feedback", message: { type: "feedback.deliver", v: 1, eventId } },
    ]);
    await ctx.drain();

    expect(received).toHaveLength(1);
    expect((await feedbackEvent(ctx, eventId)).attempts).toBe(1);
  });

  it("POSTs once when several deliveries of one event run at the same time", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, async () => {
      await delay(150);
      return ok();
    });
    const { alertId, eventId } = await givenVerifiedAlert(ctx);
    const duplicate = {
      queue: "feedback" as const,
      message: { type: "feedback.deliver" as const, v: 1 as const, eventId },
    };
    await ctx.deps.queue.publish([duplicate, duplicate, duplicate]);

    await ctx.drain();

    expect(received).toHaveLength(1);
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({ status: "delivered", attempts: 1 });
    const delivered = await ctx.deps.db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId));
    expect(delivered.filter((e) => e.kind === "feedback_delivered")).toHaveLength(1);
  });

  it("hands the event to the pull cursor when the source no longer has a callback URL", async () => {
    const { ctx, clock } = await setup();
    const received = receiverAnswering(ctx, clock, ok);
    const { eventId } = await givenVerifiedAlert(ctx);
    await setCallbackUrl(ctx, null);

    await ctx.drain();

    expect(received).toHaveLength(0);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("pull");
  });
});
