import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, contactAttempts } from "../../schema";
import { expectRejectsTheWrongCaller, OUTSIDERS_OF_MIAOGONG_ALERT, tokenFor } from "../support/access";
import { anAlert, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext } from "../support/context";
import { aWarning } from "../support/fixture";
import { acknowledged, act, alertRow, ok, problem, rowCount, WRONG_CALLERS } from "./verify-support";

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
