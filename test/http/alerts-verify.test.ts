import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  type alertEvents,
  alerts,
  auditLog,
  contactAttempts,
  feedbackEvents,
  feedSources,
  smsMessages,
  warnings,
} from "../../schema";
import {
  type Caller,
  expectRejectsTheWrongCaller,
  OUTSIDERS_OF_MIAOGONG_ALERT,
  tokenFor,
  type WrongCaller,
} from "../support/access";
import { type AnAlert, anAlert, type Problem, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

interface View {
  id: string;
  stage: string;
  postId: string;
  version: number;
  acknowledgedBy: string | null;
  verifiedBy: string | null;
  outcome: string | null;
  outcomeNote: string | null;
  amountProtected: number | null;
  amountLost: number | null;
  visitRequired: boolean;
  deadline: { kind: string; at: string } | null;
  subject: { phone: string };
  timeline: {
    kind: string;
    at: string;
    officer: { id: string; name: string } | null;
    data: Record<string, unknown>;
  }[];
  contactAttempts: { channel: string; reached: boolean; note: string | null; officer: { id: string } }[];
}

/** Alert actions are for its post's officers and the station's supervisors; admins are refused. */
const WRONG_CALLERS: WrongCaller[] = [
  ...OUTSIDERS_OF_MIAOGONG_ALERT,
  { caller: "admin", status: 403, code: "FORBIDDEN" },
];

async function act(ctx: TestContext, caller: Caller, alertId: string, action: string, body?: unknown) {
  return send(ctx, await tokenFor(ctx, caller), "POST", `/v1/alerts/${alertId}/${action}`, body);
}

async function ok(res: Response): Promise<View> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body as View;
}

async function problem(res: Response, status: number): Promise<Problem> {
  const body = (await res.json()) as Problem;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return body;
}

const alertRow = async (ctx: TestContext, id: string) =>
  (await ctx.deps.db.select().from(alerts).where(eq(alerts.id, id)))[0];

async function rowCount(
  ctx: TestContext,
  table: typeof feedbackEvents | typeof contactAttempts | typeof alertEvents,
  alertId: string,
) {
  const [row] = await ctx.deps.db.select({ n: count() }).from(table).where(eq(table.alertId, alertId));
  return row?.n ?? 0;
}

async function acknowledged(ctx: TestContext, overrides: AnAlert = {}, caller = "miaogong") {
  const id = await anAlert(ctx, overrides);
  await ok(await act(ctx, caller, id, "acknowledge"));
  return id;
}

describe("POST /v1/alerts/{id}/acknowledge", () => {
  it("claims a pushed alert for the officer and puts who and when on the timeline", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const id = await anAlert(ctx, { riskLevel: "high" });
    const receivedAt = clock.now();
    const at = clock.advanceMinutes(2);

    const view = await ok(await act(ctx, "miaogong", id, "acknowledge"));

    expect(view).toMatchObject({ stage: "acknowledged", acknowledgedBy: "off_miaogong", version: 2 });
    expect(view.deadline).toEqual({
      kind: "contact",
      at: new Date(receivedAt.getTime() + 15 * 60_000).toISOString(),
    });
    expect(view.timeline.at(-1)).toMatchObject({
      kind: "acknowledged",
      at: at.toISOString(),
      officer: { id: "off_miaogong", name: "miaogong" },
    });
  });

  it("returns the alert unchanged when the officer who claimed it acknowledges again", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    const before = await alertRow(ctx, id);

    const view = await ok(await act(ctx, "miaogong", id, "acknowledge", { expectedVersion: 1 }));

    expect(view.version).toBe(before?.version);
    expect(await alertRow(ctx, id)).toEqual(before);
    expect(view.timeline.filter((e) => e.kind === "acknowledged")).toHaveLength(1);
  });

  it("answers 409 INVALID_TRANSITION when another officer already claimed it, and changes nothing", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    const before = await alertRow(ctx, id);

    const body = await problem(await act(ctx, "supervisor", id, "acknowledge"), 409);

    expect(body.code).toBe("INVALID_TRANSITION");
    expect(await alertRow(ctx, id)).toEqual(before);
  });

  it("answers 409 INVALID_TRANSITION for an alert not yet pushed to a post", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({ warnings: [aWarning()] });
    const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;

    const body = await problem(await act(ctx, "supervisor", alertId, "acknowledge"), 409);

    expect(body.code).toBe("INVALID_TRANSITION");
    expect((await alertRow(ctx, alertId))?.stage).toBe("received");
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    const id = await anAlert(ctx);
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/alerts/${id}/acknowledge` },
      WRONG_CALLERS,
      () => alertRow(ctx, id),
    );
  });
});

describe("POST /v1/alerts/{id}/attempts", () => {
  it("logs the attempt with the officer, and the deadline moves on to feedback", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx, { riskLevel: "medium" });

    const view = await ok(
      await act(ctx, "miaogong", id, "attempts", { channel: "phone", reached: true, note: "本人接听" }),
    );

    expect(view.contactAttempts).toEqual([
      expect.objectContaining({
        channel: "phone",
        reached: true,
        note: "本人接听",
        officer: expect.objectContaining({ id: "off_miaogong" }),
      }),
    ]);
    expect(view.deadline?.kind).toBe("feedback");
    expect(view.timeline.at(-1)).toMatchObject({ kind: "attempt_logged", officer: { id: "off_miaogong" } });
  });

  it("owes a visit at once, with its own deadline, when a call on a critical alert is not answered", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const id = await acknowledged(ctx, { riskLevel: "critical", type: "funds" });
    const at = clock.advanceMinutes(3);

    const view = await ok(await act(ctx, "miaogong", id, "attempts", { channel: "phone", reached: false }));

    expect(view.visitRequired).toBe(true);
    expect(view.deadline).toEqual({ kind: "visit", at: new Date(at.getTime() + 30 * 60_000).toISOString() });
  });

  it("answers 409 INVALID_TRANSITION before the alert is acknowledged, and stores nothing", async () => {
    const ctx = await createTestContext();
    const id = await anAlert(ctx);

    const body = await problem(
      await act(ctx, "miaogong", id, "attempts", { channel: "sms", reached: true }),
      409,
    );

    expect(body.code).toBe("INVALID_TRANSITION");
    expect(await rowCount(ctx, contactAttempts, id)).toBe(0);
  });

  describe.each([
    ["an empty body", {}, ["channel", "reached"]],
    ["an unknown channel", { channel: "fax", reached: true }, ["channel"]],
    ["reached as a string", { channel: "phone", reached: "yes" }, ["reached"]],
    ["an empty note", { channel: "phone", reached: true, note: " " }, ["note"]],
    ["a note over 1,000 characters", { channel: "phone", reached: true, note: "x".repeat(1001) }, ["note"]],
    ["a version of 0", { channel: "phone", reached: true, expectedVersion: 0 }, ["expectedVersion"]],
  ])("rejects %s", (_name, body, paths) => {
    it(`with 400 VALIDATION_FAILED naming ${paths.join(", ")}`, async () => {
      const ctx = await createTestContext();
      const id = await acknowledged(ctx);

      const res = await act(ctx, "miaogong", id, "attempts", body);

      const p = await problem(res, 400);
      expect(p.code).toBe("VALIDATION_FAILED");
      expect(p.errors?.map((e) => e.path).sort()).toEqual(paths);
      expect(await rowCount(ctx, contactAttempts, id)).toBe(0);
    });
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/alerts/${id}/attempts`, body: { channel: "phone", reached: true } },
      WRONG_CALLERS,
      async () => [await alertRow(ctx, id), await rowCount(ctx, contactAttempts, id)],
    );
  });
});

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

describe("POST /v1/alerts/{id}/reveal-phone", () => {
  it("returns the full number and records who, when and why in the audit log and on the timeline", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const id = await anAlert(ctx);
    const at = clock.advanceMinutes(1);

    const res = await act(ctx, "miaogong", id, "reveal-phone", { reason: "回拨核实" });

    expect(res.status).toBe(200);
    const { phone } = (await res.json()) as { phone: string };
    expect(phone).toMatch(/^\+86139\d{8}$/);
    const audit = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(audit).toEqual([
      expect.objectContaining({
        officerId: "off_miaogong",
        action: "alert.subject_phone_revealed",
        reason: "回拨核实",
        at,
        stationId: ctx.fixture.ids.station,
      }),
    ]);
    const view = await ok(await send(ctx, await tokenFor(ctx, "miaogong"), "GET", `/v1/alerts/${id}`));
    expect(view.timeline.at(-1)).toMatchObject({ kind: "phone_revealed", officer: { id: "off_miaogong" } });
    expect(JSON.stringify(view)).not.toContain(phone.slice(3));
  });

  describe.each([
    ["no body", undefined, "MALFORMED_JSON_OR_VALIDATION"],
    ["no reason", {}, "reason"],
    ["a blank reason", { reason: "   " }, "reason"],
    ["a reason over 500 characters", { reason: "x".repeat(501) }, "reason"],
  ])("rejects %s", (_name, body, path) => {
    it("with 400 and reveals nothing", async () => {
      const ctx = await createTestContext();
      const id = await anAlert(ctx);

      const res = await act(ctx, "miaogong", id, "reveal-phone", body);

      const p = await problem(res, 400);
      if (path !== "MALFORMED_JSON_OR_VALIDATION") expect(p.errors?.map((e) => e.path)).toEqual([path]);
      expect(JSON.stringify(p)).not.toMatch(/139\d{8}/);
      expect(await ctx.deps.db.select().from(auditLog)).toEqual([]);
    });
  });

  it("rejects the wrong caller and audits nothing", async () => {
    const ctx = await createTestContext();
    const id = await anAlert(ctx);
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "POST", path: `/v1/alerts/${id}/reveal-phone`, body: { reason: "curious" } },
      WRONG_CALLERS,
      () => ctx.deps.db.select().from(auditLog),
    );
  });
});

describe("GET /v1/alerts/{id}", () => {
  it("shows the subject masked, the outcome, amounts, deadline, escalation and version", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);

    const view = await ok(await send(ctx, await tokenFor(ctx, "supervisor"), "GET", `/v1/alerts/${id}`));

    expect(view.subject.phone).toMatch(/^139\*{4}\d{4}$/);
    expect(view).toMatchObject({ version: 2, escalated: false, outcome: null, amountProtected: null });
    expect(view.deadline?.kind).toBe("contact");
  });

  it("rejects the wrong caller", async () => {
    const ctx = await createTestContext();
    const id = await anAlert(ctx);
    await expectRejectsTheWrongCaller(
      ctx,
      { method: "GET", path: `/v1/alerts/${id}` },
      OUTSIDERS_OF_MIAOGONG_ALERT,
    );
  });
});

describe("every officer action", () => {
  it("is in the audit log with who did it", async () => {
    const ctx = await createTestContext();
    const id = await acknowledged(ctx);
    await ok(await act(ctx, "miaogong", id, "attempts", { channel: "sms", reached: false }));
    await ok(await act(ctx, "supervisor", id, "outcome", { outcome: "duplicate" }));

    const audit = await ctx.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, id))
      .orderBy(auditLog.id);

    expect(audit.map((a) => [a.action, a.officerId])).toEqual([
      ["alert.acknowledged", "off_miaogong"],
      ["alert.attempt_logged", "off_miaogong"],
      ["alert.outcome_recorded", "off_supervisor"],
    ]);
  });
});

describe("GET /openapi.json", () => {
  it("documents the verify, audit, officer and session routes", async () => {
    const ctx = await createTestContext();
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as { paths: Record<string, object> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "get /v1/alerts",
        "get /v1/alerts/{id}",
        "post /v1/alerts/{id}/acknowledge",
        "post /v1/alerts/{id}/attempts",
        "post /v1/alerts/{id}/outcome",
        "post /v1/alerts/{id}/reveal-phone",
        "get /v1/audit",
        "get /v1/officers",
        "post /v1/officers",
        "post /v1/officers/{id}/disable",
        "post /v1/officers/{id}/reset-password",
        "post /v1/auth/login",
        "post /v1/auth/logout",
      ]),
    );
  });
});
