import { describe, expect, it } from "vitest";
import { alertEvents, alerts, contactAttempts } from "../../schema";
import { csvCell } from "../../src/reports/csv";
import { type Problem, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/** Now: 2026-11-28 10:00 in Asia/Shanghai. */
const NOW = "2026-11-28T02:00:00Z";
/** 2026-11-27 10:00 in Asia/Shanghai: most of the seeded alerts arrive then. */
const T0 = Date.parse("2026-11-27T02:00:00Z");
/** from=2026-11-27 and to=2026-11-28 are Shanghai midnights: [T0 - 10 h, T0 + 14 h). */
const FROM = T0 - 10 * 3600_000;
const TO = T0 + 14 * 3600_000;
const at = (ms: number) => new Date(ms);
const after = (base: number, seconds: number) => at(base + seconds * 1000);

let seq = 0;
/** An alert row with its stage times set directly, so every figure below can be worked out by hand. */
function anAlert(ctx: TestContext, fields: Partial<typeof alerts.$inferInsert> & { receivedAt: Date }) {
  seq += 1;
  return {
    id: `alr_report_${String(seq).padStart(3, "0")}`,
    stationId: ctx.fixture.ids.station,
    postId: ctx.fixture.ids.miaogong,
    stage: "received" as const,
    type: "call" as const,
    fraudType: "fake_customer_service" as const,
    riskLevel: "high" as const,
    subjectPhoneEnc: ctx.deps.pii.encrypt("+8613800138000"),
    subjectPhoneHash: ctx.deps.pii.hash("+8613800138000"),
    ...fields,
  };
}

/**
 * Five alerts in the range and three just outside it. Per alert: seconds from receipt to push / acknowledge /
 * first contact / verified / fed back.
 *   A1 庙工 critical funds  T0       10 / 40 / 180 (and 1200) / 1800 / 1860  dissuaded, 5,000 yuan protected
 *   A2 庙工 high call       T0       20 / 600 / 1200 / 7200 / -               already_defrauded, 3,000 yuan lost
 *   A3 二工 medium sms      T0+1h    30 / 1200 / - / - / -                     acknowledged
 *   A4 值班 low url         T0+2h    40 / - / - / - / -                        pushed
 *   A5 庙工 high app        from     50 / 120 / 600 / 3600 / 3660            aware_no_loss, 2,000 yuan protected
 * A2 also owed a visit from 1200 s (unreachable at first) and made it 60 minutes later.
 */
async function seedReportData(ctx: TestContext) {
  const { ids } = ctx.fixture;
  const a1 = anAlert(ctx, {
    receivedAt: at(T0),
    riskLevel: "critical",
    type: "funds",
    stage: "fed_back",
    pushedAt: after(T0, 10),
    acknowledgedAt: after(T0, 40),
    verifiedAt: after(T0, 1800),
    fedBackAt: after(T0, 1860),
    outcome: "dissuaded",
    amountProtected: 500_000,
  });
  const a2 = anAlert(ctx, {
    receivedAt: at(T0),
    stage: "verified",
    pushedAt: after(T0, 20),
    acknowledgedAt: after(T0, 600),
    verifiedAt: after(T0, 7200),
    outcome: "already_defrauded",
    amountLost: 300_000,
  });
  const t3 = T0 + 3600_000;
  const a3 = anAlert(ctx, {
    receivedAt: at(t3),
    postId: ids.ergong,
    riskLevel: "medium",
    type: "sms",
    stage: "acknowledged",
    pushedAt: after(t3, 30),
    acknowledgedAt: after(t3, 1200),
  });
  const t4 = T0 + 7200_000;
  const a4 = anAlert(ctx, {
    receivedAt: at(t4),
    postId: ids.dutyDesk,
    riskLevel: "low",
    type: "url",
    stage: "pushed",
    pushedAt: after(t4, 40),
  });
  const a5 = anAlert(ctx, {
    receivedAt: at(FROM),
    type: "app",
    stage: "fed_back",
    pushedAt: after(FROM, 50),
    acknowledgedAt: after(FROM, 120),
    verifiedAt: after(FROM, 3600),
    fedBackAt: after(FROM, 3660),
    outcome: "aware_no_loss",
    amountProtected: 200_000,
  });
  const outside = [
    anAlert(ctx, { receivedAt: at(FROM - 1000), stage: "fed_back", amountProtected: 9_999_999 }),
    anAlert(ctx, { receivedAt: at(TO), pushedAt: at(TO + 1000) }),
    anAlert(ctx, { receivedAt: at(T0), stationId: ids.otherStation, postId: ids.otherDesk, amountLost: 1 }),
  ];
  await ctx.deps.db.insert(alerts).values([a1, a2, a3, a4, a5, ...outside]);
  const attempt = (alertId: string, officerId: string, atTime: Date) => ({
    id: `att_${alertId}_${atTime.getTime()}`,
    alertId,
    officerId,
    channel: "phone" as const,
    reached: true,
    at: atTime,
  });
  await ctx.deps.db
    .insert(contactAttempts)
    .values([
      attempt(a1.id, "off_miaogong", after(T0, 180)),
      attempt(a1.id, "off_miaogong", after(T0, 1200)),
      attempt(a2.id, "off_miaogong", after(T0, 1200)),
      attempt(a5.id, "off_miaogong", after(FROM, 600)),
    ]);
  await ctx.deps.db.insert(alertEvents).values([
    visitOpened(a2.id, after(T0, 1200)),
    {
      alertId: a2.id,
      kind: "attempt_logged",
      data: { channel: "visit", visitDone: true },
      at: after(T0, 4800),
    },
  ]);
}

/** The timeline entry that makes a visit owed: an outcome of unreachable. */
function visitOpened(alertId: string, atTime: Date) {
  return {
    alertId,
    kind: "outcome_recorded",
    data: { outcome: "unreachable", visitOpened: true },
    at: atTime,
  };
}

async function givenSeededStation() {
  const ctx = await createTestContext({ clock: new ManualClock(NOW) });
  await seedReportData(ctx);
  return ctx;
}

async function report(ctx: TestContext, user: string, query: string, accept?: string) {
  const token = await ctx.login(user);
  return ctx.app.request(`/v1/reports/alerts${query}`, {
    headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) },
  });
}

const RANGE = "?from=2026-11-27&to=2026-11-28";

describe("GET /v1/reports/alerts", () => {
  it("reports the station's counts, stage times, deadline compliance and amounts", async () => {
    const ctx = await givenSeededStation();

    const res = await report(ctx, "supervisor", RANGE);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: at(FROM).toISOString(),
      to: at(TO).toISOString(),
      postId: null,
      generatedAt: NOW.replace("Z", ".000Z"),
      total: 5,
      counts: {
        stage: { received: 0, pushed: 1, acknowledged: 1, verified: 1, fed_back: 2 },
        type: { funds: 1, call: 1, sms: 1, url: 1, app: 1, other: 0 },
        riskLevel: { critical: 1, high: 2, medium: 1, low: 1 },
        outcome: {
          dissuaded: 1,
          already_defrauded: 1,
          aware_no_loss: 1,
          not_fraud: 0,
          unreachable: 0,
          refused_or_denied: 0,
          wrong_subject: 0,
          duplicate: 0,
          none: 2,
        },
      },
      durations: {
        // p90 interpolates: 5 values, position 0.9 × 4 = 3.6, so 40 + 0.6 × (50 − 40).
        timeToPush: { count: 5, medianSeconds: 30, p90Seconds: 46 },
        // [40, 120, 600, 1200]: median (120 + 600) / 2; p90 at 2.7: 600 + 0.7 × 600.
        timeToAcknowledge: { count: 4, medianSeconds: 360, p90Seconds: 1020 },
        // [1800, 3600, 7200]: p90 at 1.8: 3600 + 0.8 × 3600.
        timeToVerify: { count: 3, medianSeconds: 3600, p90Seconds: 6480 },
        // [1860, 3660]: p90 at 0.9: 1860 + 0.9 × 1800.
        timeToFeedback: { count: 2, medianSeconds: 2760, p90Seconds: 3480 },
      },
      deadlineCompliance: {
        // Met: A1 (40 s ≤ 1 min), A3 (20 min ≤ 30), A5 (2 min ≤ 5). Missed: A2 (10 min > 5), A4 (never, 2 h passed).
        acknowledge: { met: 3, missed: 2, rate: 0.6 },
        // Met: A1 (first attempt 3 min ≤ 5), A5 (10 ≤ 15). Missed: A2 (20 > 15), A3 (none, 2 h passed). A4 low: not owed.
        contact: { met: 2, missed: 2, rate: 0.5 },
        // A2's visit: done 60 min after it was owed, within high's 120.
        visit: { met: 1, missed: 0, rate: 1 },
        // Met: A1 (30 min ≤ 1 h), A2 (12:00 ≤ end of its Shanghai day), A5. A3 and A4 are still inside theirs.
        feedback: { met: 3, missed: 0, rate: 1 },
      },
      amounts: { protected: 700_000, lost: 300_000 },
    });
  });

  it("holds each visit owed to visitMinutes from when it became owed", async () => {
    const ctx = await createTestContext({ clock: new ManualClock(NOW) });
    const open = {
      stage: "acknowledged" as const,
      pushedAt: at(T0 + 10 * 1000),
      acknowledgedAt: at(T0 + 60 * 1000),
    };
    const doneLate = anAlert(ctx, { receivedAt: at(T0), ...open });
    const neverDone = anAlert(ctx, { receivedAt: at(T0), ...open });
    const notYetDue = anAlert(ctx, { receivedAt: at(T0), ...open, riskLevel: "medium" });
    const transferred = anAlert(ctx, { receivedAt: at(T0), ...open });
    const notOwed = anAlert(ctx, { receivedAt: at(T0), ...open, riskLevel: "low" });
    const closed = anAlert(ctx, {
      receivedAt: at(T0),
      ...open,
      riskLevel: "critical",
      stage: "verified",
      verifiedAt: at(T0 + 1200 * 1000),
      outcome: "dissuaded",
    });
    await ctx.deps.db.insert(alerts).values([doneLate, neverDone, notYetDue, transferred, notOwed, closed]);
    await ctx.deps.db.insert(alertEvents).values([
      // high: 120 minutes. Done after 150: missed.
      visitOpened(doneLate.id, at(T0 + 600 * 1000)),
      {
        alertId: doneLate.id,
        kind: "attempt_logged",
        data: { visitDone: true },
        at: at(T0 + (600 + 150 * 60) * 1000),
      },
      // Owed since 10 minutes after receipt, nothing since, a day has passed: missed.
      visitOpened(neverDone.id, at(T0 + 600 * 1000)),
      // medium: 1,440 minutes, owed since 3 h after receipt; now is 24 h after receipt: not decided yet.
      visitOpened(notYetDue.id, at(T0 + 3 * 3600 * 1000)),
      // Transferred 30 minutes after: the old post's visit is moot, in time.
      visitOpened(transferred.id, at(T0 + 600 * 1000)),
      { alertId: transferred.id, kind: "transferred", data: {}, at: at(T0 + (600 + 30 * 60) * 1000) },
      // low: no visit is owed at this level.
      visitOpened(notOwed.id, at(T0 + 600 * 1000)),
      // critical: 30 minutes; closed 19 minutes after the visit became owed.
      visitOpened(closed.id, at(T0 + 60 * 1000)),
    ]);

    const body = (await (await report(ctx, "supervisor", RANGE)).json()) as {
      deadlineCompliance: { visit: unknown };
    };

    expect(body.deadlineCompliance.visit).toEqual({ met: 2, missed: 2, rate: 0.5 });
  });

  it("narrows a supervisor's report to one post", async () => {
    const ctx = await givenSeededStation();

    const body = await (await report(ctx, "supervisor", `${RANGE}&postId=pst_miaogong`)).json();

    expect(body).toMatchObject({
      postId: "pst_miaogong",
      total: 3,
      counts: { riskLevel: { critical: 1, high: 2, medium: 0, low: 0 } },
      durations: { timeToPush: { count: 3, medianSeconds: 20 } },
      amounts: { protected: 700_000, lost: 300_000 },
    });
  });

  it("gives an officer their own post's figures without asking", async () => {
    const ctx = await givenSeededStation();

    const own = (await (await report(ctx, "miaogong", RANGE)).json()) as Record<string, unknown>;
    const asSupervisor = (await (
      await report(ctx, "supervisor", `${RANGE}&postId=pst_miaogong`)
    ).json()) as Record<string, unknown>;

    expect(own.postId).toBe("pst_miaogong");
    expect(own.total).toBe(3);
    expect({ ...own, generatedAt: null }).toEqual({ ...asSupervisor, generatedAt: null });
  });

  it("covers the last 7 days by default", async () => {
    const ctx = await createTestContext({ clock: new ManualClock(NOW) });
    const now = Date.parse(NOW);
    await ctx.deps.db
      .insert(alerts)
      .values([
        anAlert(ctx, { receivedAt: at(now - 8 * 86_400_000) }),
        anAlert(ctx, { receivedAt: at(now - 6 * 86_400_000) }),
      ]);

    const body = (await (await report(ctx, "supervisor", "")).json()) as Record<string, unknown>;

    expect(body).toMatchObject({
      from: at(now - 7 * 86_400_000).toISOString(),
      to: NOW.replace("Z", ".000Z"),
      total: 1,
    });
  });

  it("reports an empty period with zeros and no percentiles or rates", async () => {
    const ctx = await givenSeededStation();

    const body = await (await report(ctx, "supervisor", "?from=2026-01-01&to=2026-02-01")).json();

    expect(body).toMatchObject({
      total: 0,
      durations: { timeToPush: { count: 0, medianSeconds: null, p90Seconds: null } },
      deadlineCompliance: { acknowledge: { met: 0, missed: 0, rate: null } },
      amounts: { protected: 0, lost: 0 },
    });
  });

  describe("as CSV", () => {
    it("answers one figure per row under a section,key,value header, as an attachment", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "supervisor", RANGE, "text/csv");

      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe(
        'attachment; filename="alerts-report-2026-11-27-2026-11-28.csv"',
      );
      const text = await res.text();
      expect(text.endsWith("\r\n")).toBe(true);
      const lines = text.trimEnd().split("\r\n");
      expect(lines[0]).toBe("section,key,value");
      for (const line of lines.slice(1)) expect(line.split(",")).toHaveLength(3);
      expect(lines).toEqual(
        expect.arrayContaining([
          "report,total,5",
          "report,post_id,",
          "stage,fed_back,2",
          "risk_level,high,2",
          "outcome,none,2",
          "time_to_push,median_seconds,30",
          "time_to_acknowledge,p90_seconds,1020",
          "deadline_acknowledge,rate,0.6",
          "deadline_feedback,missed,0",
          "deadline_visit,met,1",
          "amounts,protected_fen,700000",
          "amounts,lost_fen,300000",
        ]),
      );
    });

    it.each([
      ["plain", "plain"],
      ["with, comma", '"with, comma"'],
      ['say "hi"', '"say ""hi"""'],
      ["two\nlines", '"two\nlines"'],
      ["=SUM(A1)", "'=SUM(A1)"],
      ["-1+1", "'-1+1"],
    ])("escapes the cell %j as %j", (value, cell) => {
      expect(csvCell(value)).toBe(cell);
    });

    it("writes numbers, including negative ones, and missing values as they are", () => {
      expect([csvCell(-3), csvCell(0.25), csvCell(null)]).toEqual(["-3", "0.25", ""]);
    });
  });

  describe("access", () => {
    it("answers 401 without a session", async () => {
      const ctx = await createTestContext();
      const res = await send(ctx, undefined, "GET", "/v1/reports/alerts");
      expect(res.status).toBe(401);
    });

    it("answers 403 when an officer asks for another post", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "miaogong", `${RANGE}&postId=pst_ergong`);

      expect(res.status).toBe(403);
      expect(((await res.json()) as Problem).code).toBe("FORBIDDEN");
    });

    it("answers 404 when a supervisor asks for a post of another station", async () => {
      const ctx = await givenSeededStation();

      const res = await report(ctx, "supervisor", `${RANGE}&postId=${ctx.fixture.ids.otherDesk}`);

      expect(res.status).toBe(404);
    });

    it("never counts another station's alerts", async () => {
      const ctx = await givenSeededStation();

      const body = (await (await report(ctx, "other", RANGE)).json()) as { total: number };

      expect(body.total).toBe(1);
    });
  });

  describe.each([
    ["from that is not a date", "?from=yesterday", "from"],
    ["to that is not a calendar day", "?to=2026-02-30", "to"],
    ["a date-time without an offset", "?from=2026-11-27T10:00:00", "from"],
    ["to before from", "?from=2026-11-28&to=2026-11-27", "to"],
    ["to equal to from", "?from=2026-11-28&to=2026-11-28", "to"],
    ["a range over 366 days", "?from=2025-01-01&to=2026-11-28", "to"],
  ])("with %s", (_name, query, field) => {
    it(`answers 400 problem+json naming ${field}`, async () => {
      const ctx = await createTestContext({ clock: new ManualClock(NOW) });

      const res = await report(ctx, "supervisor", query);

      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await res.json()) as Problem;
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors?.map((e) => e.path)).toEqual([field]);
    });
  });

  it("is described in the OpenAPI document", async () => {
    const ctx = await createTestContext();
    const doc = (await (await ctx.app.request("/openapi.json")).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const content = doc.paths["/v1/reports/alerts"]?.get?.responses["200"]?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(["application/json", "text/csv"]);
  });
});
