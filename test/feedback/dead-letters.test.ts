import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { alertEvents, auditLog } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import {
  alertRow,
  CALLBACK_URL,
  feedbackEvent,
  givenVerifiedAlert,
  setCallbackUrl,
} from "../support/feedback";

const receiver = setupServer();
beforeAll(() => receiver.listen({ onUnhandledRequest: "error" }));
afterEach(() => receiver.resetHandlers());
afterAll(() => receiver.close());

interface DeadLetterPage {
  deadLetters: { eventId: string; alertId: string; attempts: number; lastError: string; outcome: string }[];
  nextCursor: string | null;
}

/** A receiver that answers `status` to every callback. */
function receiverAnswering(status: number) {
  let calls = 0;
  receiver.use(
    http.post(CALLBACK_URL, () => {
      calls++;
      return status < 300 ? HttpResponse.json({ ok: true }) : new HttpResponse(null, { status });
    }),
  );
  return () => calls;
}

async function setup() {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock });
  await setCallbackUrl(ctx, CALLBACK_URL);
  return { ctx, clock };
}

/** A verified alert whose callback was refused with 410, so its event is dead-lettered. */
async function givenDeadLetter(ctx: TestContext) {
  receiverAnswering(410);
  const closed = await givenVerifiedAlert(ctx);
  await ctx.drain();
  expect((await feedbackEvent(ctx, closed.eventId)).status).toBe("dead");
  receiver.resetHandlers();
  return closed;
}

async function as(ctx: TestContext, username: string | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (username) headers.authorization = `Bearer ${await ctx.login(username)}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return ctx.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("GET /v1/feedback/dead-letters", () => {
  it("lists the station's dead letters newest first, with ids and the error but no personal data", async () => {
    const { ctx } = await setup();
    const first = await givenDeadLetter(ctx);
    const second = await givenDeadLetter(ctx);

    const res = await as(ctx, "supervisor", "GET", "/v1/feedback/dead-letters");

    expect(res.status).toBe(200);
    const raw = await res.text();
    const page = JSON.parse(raw) as DeadLetterPage;
    expect(page.deadLetters.map((d) => d.eventId)).toEqual([second.eventId, first.eventId]);
    expect(page.deadLetters[0]).toMatchObject({
      alertId: second.alertId,
      sourceId: ctx.fixture.source.id,
      externalId: expect.stringMatching(/^YJ-/),
      outcome: "dissuaded",
      attempts: 1,
      lastError: "HTTP 410",
      deadAt: expect.any(String),
    });
    expect(page.nextCursor).toBeNull();
    expect(raw).not.toMatch(/1[3-9]\d{9}/);
  });

  it("pages with a cursor", async () => {
    const { ctx } = await setup();
    const letters = [];
    for (let i = 0; i < 3; i++) letters.push(await givenDeadLetter(ctx));

    const page1 = (await (
      await as(ctx, "supervisor", "GET", "/v1/feedback/dead-letters?limit=2")
    ).json()) as DeadLetterPage;
    expect(page1.deadLetters).toHaveLength(2);
    const page2 = (await (
      await as(ctx, "supervisor", "GET", `/v1/feedback/dead-letters?limit=2&cursor=${page1.nextCursor}`)
    ).json()) as DeadLetterPage;

    expect([...page1.deadLetters, ...page2.deadLetters].map((d) => d.eventId)).toEqual(
      letters.map((l) => l.eventId).reverse(),
    );
    expect(page2.nextCursor).toBeNull();
  });

  it("does not list delivered or pending events", async () => {
    const { ctx } = await setup();
    receiverAnswering(200);
    await givenVerifiedAlert(ctx);
    await ctx.drain();
    const page = (await (
      await as(ctx, "supervisor", "GET", "/v1/feedback/dead-letters")
    ).json()) as DeadLetterPage;
    expect(page.deadLetters).toEqual([]);
  });

  it.each([
    [null, 401, "UNAUTHENTICATED"],
    ["miaogong", 403, "FORBIDDEN"],
  ])("refuses %s with %i", async (caller, status, code) => {
    const { ctx } = await setup();
    await givenDeadLetter(ctx);
    const res = await as(ctx, caller, "GET", "/v1/feedback/dead-letters");
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it("shows another station's supervisor nothing", async () => {
    const { ctx } = await setup();
    await givenDeadLetter(ctx);
    const page = (await (
      await as(ctx, "other", "GET", "/v1/feedback/dead-letters")
    ).json()) as DeadLetterPage;
    expect(page.deadLetters).toEqual([]);
  });

  it("answers 400 naming cursor for a cursor it did not issue", async () => {
    const { ctx } = await setup();
    const res = await as(ctx, "supervisor", "GET", "/v1/feedback/dead-letters?cursor=bogus");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe("cursor");
  });
});

describe("POST /v1/feedback/dead-letters/{eventId}/redrive", () => {
  it("puts the event back to pending with no attempts, audits it, and it is delivered", async () => {
    const { ctx, clock } = await setup();
    const { alertId, eventId } = await givenDeadLetter(ctx);
    clock.advanceMinutes(30);

    const res = await as(ctx, "supervisor", "POST", `/v1/feedback/dead-letters/${eventId}/redrive`, {
      reason: "receiver URL fixed",
    });

    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId, status: "pending" });
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({
      status: "pending",
      attempts: 0,
      deadAt: null,
      lastError: null,
      nextAttemptAt: clock.now(),
    });
    const [audit] = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, eventId));
    expect(audit).toMatchObject({
      action: "feedback.redrive",
      officerId: "off_supervisor",
      stationId: ctx.fixture.ids.station,
      reason: "receiver URL fixed",
    });
    const events = await ctx.deps.db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId));
    expect(events.find((e) => e.kind === "feedback_redriven")).toMatchObject({ officerId: "off_supervisor" });

    const calls = receiverAnswering(200);
    await ctx.drain();
    expect(calls()).toBe(1);
    expect(await feedbackEvent(ctx, eventId)).toMatchObject({ status: "delivered", attempts: 1 });
    expect((await alertRow(ctx, alertId)).stage).toBe("fed_back");
  });

  it("gives a re-driven event a full retry window from the re-drive", async () => {
    const { ctx, clock } = await setup();
    const { eventId } = await givenDeadLetter(ctx);
    clock.advance(3 * 24 * 3600_000); // long after the first day of retries

    await as(ctx, "supervisor", "POST", `/v1/feedback/dead-letters/${eventId}/redrive`);
    receiverAnswering(503);
    await ctx.drain();

    expect(await feedbackEvent(ctx, eventId)).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "HTTP 503",
    });
  });

  it("leaves the event for pull when the source has dropped its callback URL", async () => {
    const { ctx } = await setup();
    const { eventId } = await givenDeadLetter(ctx);
    await setCallbackUrl(ctx, null);

    const res = await as(ctx, "supervisor", "POST", `/v1/feedback/dead-letters/${eventId}/redrive`);

    expect(await res.json()).toEqual({ eventId, status: "pull" });
    expect((await feedbackEvent(ctx, eventId)).status).toBe("pull");
  });

  it("answers 409 for an event that is not dead-lettered, and changes nothing", async () => {
    const { ctx } = await setup();
    receiverAnswering(200);
    const { eventId } = await givenVerifiedAlert(ctx);
    await ctx.drain();

    const res = await as(ctx, "supervisor", "POST", `/v1/feedback/dead-letters/${eventId}/redrive`);

    expect(res.status).toBe(409);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("delivered");
  });

  it.each([
    [null, 401, "UNAUTHENTICATED"],
    ["miaogong", 403, "FORBIDDEN"],
    ["other", 404, "NOT_FOUND"],
  ])("refuses %s with %i and changes nothing", async (caller, status, code) => {
    const { ctx } = await setup();
    const { eventId } = await givenDeadLetter(ctx);

    const res = await as(ctx, caller, "POST", `/v1/feedback/dead-letters/${eventId}/redrive`);

    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("dead");
    expect(await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, eventId))).toEqual([]);
  });

  it("answers 404 for an unknown event and 400 for a malformed id", async () => {
    const { ctx } = await setup();
    expect((await as(ctx, "supervisor", "POST", "/v1/feedback/dead-letters/fbk_nope/redrive")).status).toBe(
      404,
    );
    expect((await as(ctx, "supervisor", "POST", "/v1/feedback/dead-letters/alr_1/redrive")).status).toBe(400);
  });
});
