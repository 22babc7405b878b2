import { and, count, eq } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, feedbackEvents, feedSources, RISK_LEVELS, warnings } from "../../schema";
import { acknowledgeAlert, logContactAttempt, recordOutcome } from "../../src/alerts/verify";
import { isClosed, isFinalOutcome } from "../../src/alerts/workflow";
import type { Principal } from "../../src/auth/sessions";
import { AppError } from "../../src/errors";
import { principalOf } from "../support/access";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { EXPECTED_ERRORS, type Step, stageIndex, stepArb, toAction } from "./workflow-arbitraries";

/**
 * Random sequences of officer actions through the verify use cases, on the real database: the invariants
 * workflow.property.test.ts checks on the pure machine hold here too, and every final outcome produces
 * exactly one feedback event per source.
 */

describe("the verify use cases, driven by random action sequences on the database", () => {
  // Each run pushes a fresh alert through intake and the queue: a few seconds per run on a busy machine.
  it("keep the same invariants, and every final outcome yields one feedback event per source", {
    timeout: 300_000,
  }, async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const { ids } = ctx.fixture;
    const principals: Record<string, Principal> = {
      off_a: principalOf(ctx, "miaogong"),
      off_b: principalOf(ctx, "ergong"),
      off_s: principalOf(ctx, "supervisor"),
    };
    await ctx.deps.db.insert(feedSources).values({
      id: "src_bank",
      stationId: ids.station,
      name: "A bank's risk model",
      secretEnc: ctx.deps.pii.encrypt("bank-secret"),
    });

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RISK_LEVELS),
        fc.array(stepArb, { minLength: 1, maxLength: 10 }),
        async (riskLevel, steps) => {
          const alertId = await givenAlertFromTwoSources(ctx, riskLevel);
          let closedRow: typeof alerts.$inferSelect | undefined;
          for (const step of steps) {
            clock.advanceMinutes(step.minutes);
            const before = await snapshot(ctx, alertId);
            const principal = principals[step.officer] as Principal;
            const other = before.alert.postId === ids.ergong ? ids.miaogong : ids.ergong;
            const {
              kind,
              officerId: _,
              ...input
            } = toAction(step, before.alert.version, principal.officerId, {
              same: before.alert.postId ?? ids.miaogong,
              other,
            });
            try {
              if (kind === "acknowledge") await acknowledgeAlert(ctx.deps, principal, alertId, input);
              else if (kind === "logAttempt")
                await logContactAttempt(ctx.deps, principal, alertId, input as never);
              else await recordOutcome(ctx.deps, principal, alertId, input as never);
            } catch (error) {
              expect(error).toBeInstanceOf(AppError);
              expect([...EXPECTED_ERRORS, "ALERT_NOT_FOUND"]).toContain((error as AppError).code);
              expect(await snapshot(ctx, alertId)).toEqual(before);
              continue;
            }
            const after = await snapshot(ctx, alertId);
            if (after.alert.version !== before.alert.version) {
              expect(isClosed(before.alert.stage), "a closed alert changed").toBe(false);
              const from = stageIndex(before.alert.stage);
              const to = stageIndex(after.alert.stage);
              if (to < from)
                expect([before.alert.stage, after.alert.stage]).toEqual(["acknowledged", "pushed"]);
              else expect(to - from).toBeLessThanOrEqual(1);
              expect(after.alert.version).toBe(before.alert.version + 1);
            } else {
              expect(after).toEqual(before); // an idempotent repeat
            }
            if (isClosed(after.alert.stage)) closedRow ??= after.alert;
          }
          const final = await snapshot(ctx, alertId);
          if (closedRow) expect(final.alert).toEqual(closedRow);
          const closed = isClosed(final.alert.stage);
          expect(final.feedbackBySource).toEqual(closed ? { src_bank: 1, src_platform: 1 } : {});
          expect(final.finalOutcomesRecorded).toBe(closed ? 1 : 0);
        },
      ),
      {
        numRuns: 12,
        // Always also walk the paths that matter most, whatever the random runs reach.
        examples: [
          [
            "critical",
            [
              { kind: "acknowledge", officer: "off_a", version: "current", minutes: 1 },
              {
                kind: "logAttempt",
                officer: "off_a",
                version: "none",
                minutes: 2,
                channel: "phone",
                reached: false,
              },
              {
                kind: "recordOutcome",
                officer: "off_s",
                version: "none",
                minutes: 20,
                outcome: "dissuaded",
                amountProtected: 5_000_000,
              },
              {
                kind: "recordOutcome",
                officer: "off_s",
                version: "stale",
                minutes: 1,
                outcome: "dissuaded",
                amountProtected: 5_000_000,
              },
              { kind: "recordOutcome", officer: "off_a", version: "none", minutes: 1, outcome: "not_fraud" },
            ],
          ],
          [
            "high",
            [
              { kind: "acknowledge", officer: "off_a", version: "none", minutes: 3 },
              {
                kind: "recordOutcome",
                officer: "off_a",
                version: "none",
                minutes: 5,
                outcome: "wrong_subject",
                transferTo: "other",
              },
              { kind: "acknowledge", officer: "off_a", version: "none", minutes: 1 },
              { kind: "acknowledge", officer: "off_b", version: "current", minutes: 1 },
              {
                kind: "recordOutcome",
                officer: "off_b",
                version: "none",
                minutes: 9,
                outcome: "already_defrauded",
                amountLost: 120_000,
              },
            ],
          ],
        ] as [string, Step[]][],
      },
    );
  });
});

let externalIds = 0;
/** A pushed alert that two sources warned about (the bank's warning linked to the platform's alert). */
async function givenAlertFromTwoSources(ctx: TestContext, riskLevel: string): Promise<string> {
  const alertId = await givenPushedAlert(ctx, {
    riskLevel,
    type: riskLevel === "critical" ? "funds" : "call",
  });
  const [first] = await ctx.deps.db.select().from(warnings).where(eq(warnings.alertId, alertId));
  externalIds += 1;
  await ctx.deps.db.insert(warnings).values({
    ...(first as typeof warnings.$inferSelect),
    id: `wrn_bank_${externalIds}`,
    sourceId: "src_bank",
    externalId: `BANK-${externalIds}`,
  });
  return alertId;
}

async function snapshot(ctx: TestContext, alertId: string) {
  const [alert] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
  const feedback = await ctx.deps.db
    .select({ sourceId: feedbackEvents.sourceId, n: count() })
    .from(feedbackEvents)
    .where(eq(feedbackEvents.alertId, alertId))
    .groupBy(feedbackEvents.sourceId);
  const outcomes = await ctx.deps.db
    .select({ data: alertEvents.data })
    .from(alertEvents)
    .where(and(eq(alertEvents.alertId, alertId), eq(alertEvents.kind, "outcome_recorded")));
  const [events] = await ctx.deps.db
    .select({ n: count() })
    .from(alertEvents)
    .where(eq(alertEvents.alertId, alertId));
  return {
    alert: alert as typeof alerts.$inferSelect,
    events: events?.n,
    feedbackBySource: Object.fromEntries(feedback.map((f) => [f.sourceId, f.n])),
    finalOutcomesRecorded: outcomes.filter((o) => isFinalOutcome((o.data?.outcome as never) ?? null)).length,
  };
}
