import { and, eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { feedSources, warnings } from "../../schema";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import {
  alertRow,
  CALLBACK_URL,
  closeWithOutcome,
  feedbackEvent,
  queuedJobs,
  setCallbackUrl,
  timelineKinds,
} from "../support/feedback";

/** Two feeds' receivers: the platform's answers 200, the bank's 500. Nothing else may leave the process. */
const receivers = setupServer();
beforeAll(() => receivers.listen({ onUnhandledRequest: "error" }));
afterEach(() => receivers.resetHandlers());
afterAll(() => receivers.close());

const BANK_URL = "https://bank.example.test/feedback";

function recordingReceivers() {
  const got = { platform: [] as string[], bank: [] as string[] };
  receivers.use(
    http.post(CALLBACK_URL, ({ request }) => {
      got.platform.push(request.headers.get("x-event-id") ?? "");
      return HttpResponse.json({ received: true });
    }),
    http.post(BANK_URL, ({ request }) => {
      got.bank.push(request.headers.get("x-event-id") ?? "");
      return new HttpResponse(null, { status: 500 });
    }),
  );
  return got;
}

/** The bank warned about this pushed alert too: closing it makes one feedback event for each feed. */
async function bankWarnedToo(ctx: TestContext, alertId: string): Promise<void> {
  const [first] = await ctx.deps.db.select().from(warnings).where(eq(warnings.alertId, alertId));
  await ctx.deps.db.insert(warnings).values({
    ...(first as typeof warnings.$inferSelect),
    id: "wrn_bank",
    sourceId: "src_bank",
    externalId: "B-1",
  });
}

describe("feedback callbacks delivered as a batch", () => {
  it("delivers every acknowledged callback once and retries only the receiver that failed", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await setCallbackUrl(ctx, CALLBACK_URL);
    await ctx.deps.db.insert(feedSources).values({
      id: "src_bank",
      stationId: ctx.fixture.ids.station,
      name: "A bank",
      secretEnc: ctx.deps.pii.encrypt("bank-secret"),
      callbackUrl: BANK_URL,
    });
    const got = recordingReceivers();
    // All pushed first (pushing drains the queues), then all closed: their deliveries wait together.
    const pushed = [await givenPushedAlert(ctx), await givenPushedAlert(ctx), await givenPushedAlert(ctx)];
    const both = { alertId: await givenPushedAlert(ctx), events: [] as string[] };
    await bankWarnedToo(ctx, both.alertId);
    const platformOnly = [];
    for (const alertId of pushed) {
      platformOnly.push({ alertId, eventId: (await closeWithOutcome(ctx, alertId))[0] as string });
    }
    both.events = await closeWithOutcome(ctx, both.alertId);
    const bankEvent = await ctx.deps.db.query.feedbackEvents.findFirst({
      where: (e) => and(eq(e.alertId, both.alertId), eq(e.sourceId, "src_bank")),
    });
    const platformEventOfBoth = both.events.find((id) => id !== bankEvent?.id) as string;
    expect((await queuedJobs(ctx, "feedback")).length).toBe(5);

    await ctx.drain();
    await ctx.drain();

    expect(got.platform.sort()).toEqual([...platformOnly.map((p) => p.eventId), platformEventOfBoth].sort());
    expect(got.bank).toEqual([bankEvent?.id]);
    for (const { alertId, eventId } of platformOnly) {
      expect(await feedbackEvent(ctx, eventId)).toMatchObject({ status: "delivered", attempts: 1 });
      expect((await alertRow(ctx, alertId)).stage).toBe("fed_back");
    }
    expect(await feedbackEvent(ctx, platformEventOfBoth)).toMatchObject({ status: "delivered", attempts: 1 });
    expect(await feedbackEvent(ctx, bankEvent?.id as string)).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: "HTTP 500",
    });
    // One of its two feeds still waits: the alert stays verified, with the delivered one on its timeline.
    expect((await alertRow(ctx, both.alertId)).stage).toBe("verified");
    expect(
      (await timelineKinds(ctx, both.alertId)).filter((kind) => kind === "feedback_delivered"),
    ).toHaveLength(1);
    const waiting = await queuedJobs(ctx, "feedback");
    expect(waiting.map((j) => j.payload)).toEqual([
      expect.objectContaining({ type: "feedback.deliver", eventId: bankEvent?.id, attempt: 1 }),
    ]);
    expect(waiting[0]?.delaySeconds).toBeGreaterThan(0);
  });
});
