import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { feedbackEvents, feedSources, smsMessages, warnings } from "../../schema";
import { expectRejectsTheWrongCaller, tokenFor } from "../support/access";
import { send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext } from "../support/context";
import { acknowledged, act, alertRow, ok, problem, rowCount, WRONG_CALLERS } from "./verify-support";

describe("POST /v1/alerts/{id}/outcome", () => {
  it("closes the alert with a final outcome, records amounts in fen and queues one feedback event", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await ok(await act(ctx, "miaogong", id, "attempts", { channel: "phone", reached: true }));

    const view = await ok(
      await act(ctx, "miaogong", id, "outcome", {
        outcome: "dissuaded",
        amountProtected: 5_000_000,
        note: "已劝阻",
      }),
    );

    expect(view).toMatchObject({
      stage: "verified",
      outcome: "dissuaded",
      outcomeNote: "已劝阻",
      amountProtected: 5_000_000,
      amountLost: null,
      verifiedBy: "off_miaogong",
      deadline: null,
    });
    expect(view.timeline.map((e) => e.kind)).toEqual([
      "pushed",
      "acknowledged",
      "attempt_logged",
      "outcome_recorded",
      "feedback_queued",
    ]);
    const events = await ctx.deps.db.select().from(feedbackEvents).where(eq(feedbackEvents.alertId, id));
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ outcome: "dissuaded", amountProtected: 5_000_000 });
  });

  it("queues exactly one feedback event per source that warned about the subject", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    const [first] = await ctx.deps.db.select().from(warnings).where(eq(warnings.alertId, id));
    await ctx.deps.db.insert(feedSources).values({
      id: "src_bank",
      stationId: ctx.fixture.ids.station,
      name: "A bank",
      secretEnc: ctx.deps.pii.encrypt("bank-secret"),
    });
    await ctx.deps.db.insert(warnings).values({
      ...(first as typeof warnings.$inferSelect),
      id: "wrn_bank",
      sourceId: "src_bank",
      externalId: "B-1",
    });

    await ok(
      await act(ctx, "miaogong", id, "outcome", { outcome: "already_defrauded", amountLost: 120_000 }),
    );

    const events = await ctx.deps.db.select().from(feedbackEvents).where(eq(feedbackEvents.alertId, id));
    expect(events.map((e) => e.sourceId).sort()).toEqual(["src_bank", "src_platform"]);
  });

  it("keeps an unreachable subject's alert open and owes a visit with its own deadline", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const id = await acknowledged(ctx, { riskLevel: "medium" });
    const at = clock.advanceMinutes(45);

    const view = await ok(await act(ctx, "miaogong", id, "outcome", { outcome: "unreachable" }));

    expect(view).toMatchObject({ stage: "acknowledged", outcome: "unreachable", visitRequired: true });
    expect(view.deadline).toEqual({
      kind: "visit",
      at: new Date(at.getTime() + 24 * 3600_000).toISOString(),
    });
    expect(await rowCount(ctx, feedbackEvents, id)).toBe(0);
  });

  it("keeps a refused alert open for another attempt, which can then close it", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);

    const refused = await ok(await act(ctx, "miaogong", id, "outcome", { outcome: "refused_or_denied" }));
    expect(refused).toMatchObject({ stage: "acknowledged", outcome: "refused_or_denied" });
    await ok(await act(ctx, "miaogong", id, "attempts", { channel: "visit", reached: true }));
    const closed = await ok(await act(ctx, "miaogong", id, "outcome", { outcome: "aware_no_loss" }));

    expect(closed).toMatchObject({ stage: "verified", outcome: "aware_no_loss" });
  });

  it("transfers a wrong subject to the other post: unclaimed, a new acknowledge deadline, its officers told", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const id = await acknowledged(ctx);
    const at = clock.advanceMinutes(20);
    const ergongPhoneHash = ctx.deps.pii.hash(ctx.fixture.phones.ergong);
    const notificationsToErgong = async () =>
      (
        await ctx.deps.db
          .select({ n: count() })
          .from(smsMessages)
          .where(
            and(
              eq(smsMessages.recipientHash, ergongPhoneHash),
              eq(smsMessages.purpose, "officer_notification"),
            ),
          )
      )[0]?.n;
    expect(await notificationsToErgong()).toBe(0);

    const view = await ok(
      await act(ctx, "miaogong", id, "outcome", {
        outcome: "wrong_subject",
        transferToPostId: ctx.fixture.ids.ergong,
      }),
    );
    await ctx.drain();

    expect(view).toMatchObject({ stage: "pushed", postId: ctx.fixture.ids.ergong, acknowledgedBy: null });
    expect(view.deadline).toEqual({
      kind: "acknowledge",
      at: new Date(at.getTime() + 5 * 60_000).toISOString(),
    });
    expect(view.timeline.at(-1)).toMatchObject({
      kind: "transferred",
      officer: { id: "off_miaogong" },
      data: expect.objectContaining({
        fromPostId: ctx.fixture.ids.miaogong,
        toPostId: ctx.fixture.ids.ergong,
      }),
    });
    expect(await notificationsToErgong()).toBe(1);
    // The alert now belongs to 二工村: 庙工村 no longer sees it, 二工村 can claim it.
    expect(
      (await problem(await send(ctx, await tokenFor(ctx, "miaogong"), "GET", `/v1/alerts/${id}`), 404)).code,
    ).toBe("ALERT_NOT_FOUND");
    expect(await ok(await act(ctx, "ergong", id, "acknowledge"))).toMatchObject({
      stage: "acknowledged",
      acknowledgedBy: "off_ergong",
    });
  });

  it("refuses a transfer to a post of another station", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);

    const p = await problem(
      await act(ctx, "miaogong", id, "outcome", {
        outcome: "wrong_subject",
        transferToPostId: ctx.fixture.ids.otherDesk,
      }),
      400,
    );

    expect(p.errors?.map((e) => e.path)).toEqual(["transferToPostId"]);
    expect((await alertRow(ctx, id))?.postId).toBe(ctx.fixture.ids.miaogong);
  });

  describe.each([
    ["no outcome", {}, ["outcome"]],
    ["an unknown outcome", { outcome: "maybe" }, ["outcome"]],
    ["already_defrauded without amountLost", { outcome: "already_defrauded" }, ["amountLost"]],
    ["a negative amount", { outcome: "dissuaded", amountProtected: -100 }, ["amountProtected"]],
    ["a fractional amount", { outcome: "dissuaded", amountProtected: 99.5 }, ["amountProtected"]],
    ["an amount as a string", { outcome: "already_defrauded", amountLost: "100" }, ["amountLost"]],
    ["amounts on an open outcome", { outcome: "refused_or_denied", amountProtected: 1 }, ["amountProtected"]],
    ["wrong_subject without a post", { outcome: "wrong_subject" }, ["transferToPostId"]],
    [
      "a transfer with another outcome",
      { outcome: "dissuaded", transferToPostId: "pst_ergong" },
      ["transferToPostId"],
    ],
    ["a note over 2,000 characters", { outcome: "dissuaded", note: "字".repeat(2001) }, ["note"]],
  ])("rejects %s", (_name, body, paths) => {
    it(`with 400 VALIDATION_FAILED naming ${paths.join(", ")}, changing nothing`, async () => {
      const ctx = await createTestContext();
      const id = await acknowledged(ctx);
      const before = await alertRow(ctx, id);

      const p = await problem(await act(ctx, "miaogong", id, "outcome", body), 400);

      expect(p.code).toBe("VALIDATION_FAILED");
      expect(p.errors?.map((e) => e.path).sort()).toEqual(paths);
      expect(await alertRow(ctx, id)).toEqual(before);
    });
  });

  it("answers 409 INVALID_TRANSITION when the alert is already closed, and changes nothing", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await ok(await act(ctx, "miaogong", id, "outcome", { outcome: "not_fraud" }));
    const before = await alertRow(ctx, id);

    const p = await problem(await act(ctx, "supervisor", id, "outcome", { outcome: "dissuaded" }), 409);

    expect(p.code).toBe("INVALID_TRANSITION");
    expect(await alertRow(ctx, id)).toEqual(before);
    expect(await rowCount(ctx, feedbackEvents, id)).toBe(1);
  });

  it("answers a retried outcome from the same officer with the alert unchanged", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    const seen = (await alertRow(ctx, id))?.version as number;
    const body = { outcome: "dissuaded", amountProtected: 10_000, expectedVersion: seen };
    const first = await ok(await act(ctx, "miaogong", id, "outcome", body));

    const retry = await ok(await act(ctx, "miaogong", id, "outcome", body));

    expect(retry.version).toBe(first.version);
    expect(await rowCount(ctx, feedbackEvents, id)).toBe(1);
    expect(retry.timeline.filter((e) => e.kind === "outcome_recorded")).toHaveLength(1);
  });

  it("answers 409 CONFLICT when the alert changed since the version the officer saw", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    const seen = (await alertRow(ctx, id))?.version as number;
    await ok(await act(ctx, "supervisor", id, "attempts", { channel: "phone", reached: true }));

    const p = await problem(
      await act(ctx, "miaogong", id, "outcome", { outcome: "not_fraud", expectedVersion: seen }),
      409,
    );

    expect(p.code).toBe("CONFLICT");
    expect((await alertRow(ctx, id))?.stage).toBe("acknowledged");
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/alerts/${id}/outcome`, body: { outcome: "dissuaded" } },
      WRONG_CALLERS,
      async () => [await alertRow(ctx, id), await rowCount(ctx, feedbackEvents, id)],
    );
  });
});
