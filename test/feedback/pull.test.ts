import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { feedSources, warnings } from "../../schema";
import { newId } from "../../src/ids";
import { signPayload } from "../../src/signature";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import {
  alertRow,
  CALLBACK_URL,
  closeWithOutcome,
  feedbackEvent,
  givenVerifiedAlert,
  setCallbackUrl,
  timelineKinds,
} from "../support/feedback";

const receiver = setupServer();
beforeAll(() => receiver.listen({ onUnhandledRequest: "error" }));
afterEach(() => receiver.resetHandlers());
afterAll(() => receiver.close());

interface Page {
  events: { eventId: string; alertId: string; outcome: string }[];
  nextCursor: string;
  hasMore: boolean;
}

function pull(
  ctx: TestContext,
  clock: ManualClock,
  query: Record<string, string> = {},
  opts: { secret?: string; sourceId?: string; at?: number; signedBody?: string; unsigned?: boolean } = {},
) {
  const t = opts.at ?? Math.floor(clock.now().getTime() / 1000);
  const qs = new URLSearchParams(query).toString();
  const headers: Record<string, string> = opts.unsigned
    ? {}
    : { "x-signature": signPayload(opts.secret ?? ctx.fixture.source.secret, opts.signedBody ?? "", t) };
  return ctx.app.request(
    `/v1/feeds/${opts.sourceId ?? ctx.fixture.source.id}/feedback${qs ? `?${qs}` : ""}`,
    {
      headers,
    },
  );
}

async function setup() {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock });
  return { ctx, clock };
}

describe("GET /v1/feeds/{sourceId}/feedback", () => {
  it("returns the source's outcomes oldest first, each once across pages, with the cursor after them", async () => {
    const { ctx, clock } = await setup();
    const closed = [];
    for (let i = 0; i < 3; i++) closed.push(await givenVerifiedAlert(ctx));

    const first = await pull(ctx, clock, { limit: "2" });
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as Page;
    expect(page1.events.map((e) => e.eventId)).toEqual([closed[0]?.eventId, closed[1]?.eventId]);
    expect(page1.events[0]).toMatchObject({ alertId: closed[0]?.alertId, outcome: "dissuaded" });
    expect(page1.hasMore).toBe(true);

    const page2 = (await (await pull(ctx, clock, { after: page1.nextCursor, limit: "2" })).json()) as Page;
    expect(page2.events.map((e) => e.eventId)).toEqual([closed[2]?.eventId]);
    expect(page2.hasMore).toBe(false);

    const page3 = (await (await pull(ctx, clock, { after: page2.nextCursor })).json()) as Page;
    expect(page3.events).toEqual([]);
    expect(page3.nextCursor).toBe(page2.nextCursor);

    // A later outcome appears after the cursor the source already holds.
    const later = await givenVerifiedAlert(ctx);
    const page4 = (await (await pull(ctx, clock, { after: page3.nextCursor })).json()) as Page;
    expect(page4.events.map((e) => e.eventId)).toEqual([later.eventId]);
  });

  it("marks pulled events delivered and the alert fed back; pulling again returns them unchanged", async () => {
    const { ctx, clock } = await setup();
    const { alertId, eventId } = await givenVerifiedAlert(ctx);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("pull");

    clock.advanceMinutes(3);
    const page = (await (await pull(ctx, clock)).json()) as Page;
    expect(page.events.map((e) => e.eventId)).toEqual([eventId]);

    expect(await feedbackEvent(ctx, eventId)).toMatchObject({
      status: "delivered",
      deliveredAt: clock.now(),
    });
    const alert = await alertRow(ctx, alertId);
    expect(alert.stage).toBe("fed_back");
    expect(alert.fedBackAt).toEqual(clock.now());

    const again = (await (await pull(ctx, clock)).json()) as Page;
    expect(again.events.map((e) => e.eventId)).toEqual([eventId]);
    expect((await timelineKinds(ctx, alertId)).filter((k) => k === "feedback_delivered")).toHaveLength(1);
  });

  it("moves an alert warned by two sources to fed_back only when both have their outcome", async () => {
    const { ctx, clock } = await setup();
    await ctx.deps.db.insert(feedSources).values({
      id: "src_bank",
      stationId: ctx.fixture.ids.station,
      name: "Bank risk model",
      secretEnc: ctx.deps.pii.encrypt("bank-secret"),
      callbackUrl: CALLBACK_URL,
    });
    receiver.use(http.post(CALLBACK_URL, () => HttpResponse.json({ ok: true })));
    const alertId = await givenPushedAlert(ctx);
    const [first] = await ctx.deps.db.select().from(warnings).where(eq(warnings.alertId, alertId));
    await ctx.deps.db.insert(warnings).values({
      ...(first as typeof warnings.$inferSelect),
      id: newId("warning"),
      sourceId: "src_bank",
      externalId: "BANK-1",
    });
    const eventIds = await closeWithOutcome(ctx, alertId);
    expect(eventIds).toHaveLength(2);

    await ctx.drain();
    expect((await alertRow(ctx, alertId)).stage).toBe("verified");

    await pull(ctx, clock);
    const alert = await alertRow(ctx, alertId);
    expect(alert.stage).toBe("fed_back");
  });

  it("lists only the calling source's events", async () => {
    const { ctx, clock } = await setup();
    await ctx.deps.db.insert(feedSources).values({
      id: "src_bank",
      stationId: ctx.fixture.ids.station,
      name: "Bank risk model",
      secretEnc: ctx.deps.pii.encrypt("bank-secret"),
    });
    await givenVerifiedAlert(ctx);

    const res = await pull(ctx, clock, {}, { sourceId: "src_bank", secret: "bank-secret" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Page).events).toEqual([]);
  });

  describe("authentication", () => {
    it.each([
      ["a wrong secret", { secret: "not-the-secret" }],
      ["an unknown source", { sourceId: "src_nobody" }],
      ["another source's path with this source's secret", { sourceId: "src_other" }],
      ["a signature over a non-empty body", { signedBody: "{}" }],
      ["a timestamp 6 minutes old", { at: Math.floor(new ManualClock().now().getTime() / 1000) - 360 }],
      ["no signature", { unsigned: true }],
    ])("answers 401 for %s and marks nothing delivered", async (_name, opts) => {
      const { ctx, clock } = await setup();
      await ctx.deps.db.insert(feedSources).values({
        id: "src_other",
        stationId: ctx.fixture.ids.station,
        name: "Other",
        secretEnc: ctx.deps.pii.encrypt("other-secret"),
      });
      const { eventId } = await givenVerifiedAlert(ctx);

      const res = await pull(ctx, clock, {}, opts);

      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect((await feedbackEvent(ctx, eventId)).status).toBe("pull");
    });
  });

  it.each([
    ["after", { after: "not-a-cursor" }],
    ["limit", { limit: "0" }],
    ["limit", { limit: "1001" }],
  ])("answers 400 naming %s for a bad query", async (field, query) => {
    const { ctx, clock } = await setup();
    const res = await pull(ctx, clock, query);
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toContain(field);
  });

  it("keeps events of sources with a callback URL listed for reconciliation, without marking them", async () => {
    const { ctx, clock } = await setup();
    await setCallbackUrl(ctx, CALLBACK_URL);
    receiver.use(http.post(CALLBACK_URL, () => new HttpResponse(null, { status: 503 })));
    const { eventId } = await givenVerifiedAlert(ctx);
    await ctx.drain();

    const page = (await (await pull(ctx, clock)).json()) as Page;
    expect(page.events.map((e) => e.eventId)).toEqual([eventId]);
    expect((await feedbackEvent(ctx, eventId)).status).toBe("pending");
  });
});
