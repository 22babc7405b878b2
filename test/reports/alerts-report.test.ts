import { describe, expect, it } from "vitest";
import { alertEvents, alerts } from "../../schema";
import { ManualClock } from "../support/clock";
import { createTestContext } from "../support/context";
import { anAlert, at, FROM, givenSeededStation, NOW, RANGE, report, T0, TO, visitOpened } from "./support";

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

  it("covers the last 7 days by default, today included, from midnight Beijing time as every report does", async () => {
    const ctx = await createTestContext({ clock: new ManualClock(NOW) });
    const now = Date.parse(NOW);
    await ctx.deps.db.insert(alerts).values([
      anAlert(ctx, { receivedAt: at(now - 8 * 86_400_000) }),
      // 22:00 on the 21st, Beijing time: within 7 × 24 h of now, but on the eighth day back.
      anAlert(ctx, { receivedAt: new Date("2026-11-21T22:00:00+08:00") }),
      anAlert(ctx, { receivedAt: at(now - 6 * 86_400_000) }),
    ]);

    const body = (await (await report(ctx, "supervisor", "")).json()) as Record<string, unknown>;

    expect(body).toMatchObject({
      from: new Date("2026-11-22T00:00:00+08:00").toISOString(),
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
});
