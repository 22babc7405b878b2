import { and, count, eq } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALERT_STAGES,
  type AlertStage,
  alertEvents,
  alerts,
  CONTACT_CHANNELS,
  feedbackEvents,
  feedSources,
  OUTCOMES,
  RISK_LEVELS,
  warnings,
} from "../../schema";
import { DEFAULT_DEADLINES } from "../../src/alerts/deadlines";
import { acknowledgeAlert, logContactAttempt, recordOutcome } from "../../src/alerts/verify";
import {
  type Decision,
  decide,
  isClosed,
  isFinalOutcome,
  type WorkflowAction,
  type WorkflowState,
} from "../../src/alerts/workflow";
import type { Principal } from "../../src/auth/sessions";
import { AppError } from "../../src/errors";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/**
 * Random sequences of officer actions, checked against the workflow's invariants:
 * no alert skips a stage (the only step back is a transfer to `pushed`); a refused action changes nothing;
 * a closed alert never changes; every final outcome produces exactly one feedback event per source.
 */

const stageIndex = (stage: AlertStage) => ALERT_STAGES.indexOf(stage);
const EXPECTED_ERRORS = ["INVALID_TRANSITION", "CONFLICT", "VALIDATION_FAILED"];

/** The transitions the diagram allows, and only those. */
function assertAllowedStep(before: WorkflowState, decision: Extract<Decision, { changed: true }>) {
  const after = decision.state;
  const from = stageIndex(before.stage);
  const to = stageIndex(after.stage);
  expect(isClosed(before.stage), "a closed alert changed").toBe(false);
  if (to < from) {
    // The only way back: wrong_subject hands the alert to another post, unclaimed.
    expect([before.stage, after.stage, decision.transferredTo]).toEqual([
      "acknowledged",
      "pushed",
      after.postId,
    ]);
    expect(after.acknowledgedBy).toBeNull();
  } else {
    expect(to - from, `${before.stage} → ${after.stage} skips a stage`).toBeLessThanOrEqual(1);
  }
  expect(after.stage).not.toBe("fed_back"); // only the callback acknowledgement gets there
  expect(after.version).toBe(before.version + 1);
  expect(decision.closed).toBe(before.stage !== "verified" && after.stage === "verified");
  if (after.stage === "verified") {
    expect(isFinalOutcome(after.outcome)).toBe(true);
    expect(after.acknowledgedAt).not.toBeNull();
    expect(after.verifiedBy).not.toBeNull();
  }
  expect(after.deadlineAt === null).toBe(isClosed(after.stage));
  if (after.visitOwedSince) expect(after.stage).toBe("acknowledged");
}

// ---- arbitraries ---------------------------------------------------------------------------

const officerArb = fc.constantFrom("off_a", "off_b", "off_s");
const versionHintArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant("none") },
  { weight: 2, arbitrary: fc.constant("current") },
  { weight: 1, arbitrary: fc.constant("stale") },
);
/** Mostly absent or valid, sometimes invalid (negative, fractional) to exercise the refusals. */
const amountArb = (present: number) =>
  fc.oneof(
    { weight: 10 - present, arbitrary: fc.constant(undefined) },
    { weight: present, arbitrary: fc.integer({ min: 0, max: 10_000_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1.5) },
  );
/** Mostly what the outcome needs (a post for wrong_subject, none otherwise), sometimes not. */
const transferArb = (wanted: boolean) =>
  fc.oneof(
    { weight: wanted ? 1 : 8, arbitrary: fc.constant(undefined) },
    { weight: wanted ? 8 : 1, arbitrary: fc.constant("other") },
    { weight: 1, arbitrary: fc.constant("same") },
  );

type Step =
  | { kind: "acknowledge"; officer: string; version: string; minutes: number }
  | {
      kind: "logAttempt";
      officer: string;
      version: string;
      minutes: number;
      channel: (typeof CONTACT_CHANNELS)[number];
      reached: boolean;
    }
  | {
      kind: "recordOutcome";
      officer: string;
      version: string;
      minutes: number;
      outcome: (typeof OUTCOMES)[number];
      amountProtected?: number;
      amountLost?: number;
      transferTo?: string;
    };

const base = { officer: officerArb, version: versionHintArb, minutes: fc.integer({ min: 0, max: 90 }) };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("acknowledge" as const), ...base }),
  fc.record({
    kind: fc.constant("logAttempt" as const),
    ...base,
    channel: fc.constantFrom(...CONTACT_CHANNELS),
    reached: fc.boolean(),
  }),
  fc.constantFrom(...OUTCOMES).chain((outcome) =>
    fc.record(
      {
        kind: fc.constant("recordOutcome" as const),
        ...base,
        outcome: fc.constant(outcome),
        amountProtected: amountArb(isFinalOutcome(outcome) ? 4 : 0),
        amountLost: amountArb(outcome === "already_defrauded" ? 8 : 0),
        transferTo: transferArb(outcome === "wrong_subject"),
      },
      { requiredKeys: ["kind", "officer", "version", "minutes", "outcome"] },
    ),
  ),
);

function toAction(
  step: Step,
  currentVersion: number,
  officerId: string,
  posts: { same: string; other: string },
) {
  const expectedVersion =
    step.version === "current" ? currentVersion : step.version === "stale" ? currentVersion - 1 : undefined;
  const common = { officerId, ...(expectedVersion !== undefined ? { expectedVersion } : {}) };
  if (step.kind === "acknowledge") return { kind: "acknowledge" as const, ...common };
  if (step.kind === "logAttempt") {
    return { kind: "logAttempt" as const, ...common, channel: step.channel, reached: step.reached };
  }
  return {
    kind: "recordOutcome" as const,
    ...common,
    outcome: step.outcome,
    ...(step.amountProtected !== undefined ? { amountProtected: step.amountProtected } : {}),
    ...(step.amountLost !== undefined ? { amountLost: step.amountLost } : {}),
    ...(step.transferTo ? { transferToPostId: posts[step.transferTo as "same" | "other"] } : {}),
  };
}

// ---- the pure machine ------------------------------------------------------------------------

describe("the verify state machine, driven by random action sequences", () => {
  it("never skips a stage, never changes a closed alert, and closes at most once", () => {
    const start = new Date("2026-11-28T02:00:00Z");
    // How often the interesting paths were reached, so a generator that never gets there fails the test.
    const reached = { closed: 0, transferred: 0, visitOwed: 0, conflict: 0, replay: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(...RISK_LEVELS),
        fc.constantFrom<AlertStage>("received", "pushed", "pushed", "pushed"),
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        (riskLevel, stage, steps) => {
          let state: WorkflowState = {
            stage,
            riskLevel,
            postId: stage === "received" ? null : "pst_a",
            receivedAt: start,
            assignedAt: start,
            acknowledgedAt: null,
            acknowledgedBy: null,
            contacted: false,
            visitOwedSince: null,
            outcome: null,
            outcomeNote: null,
            amountProtected: null,
            amountLost: null,
            verifiedAt: null,
            verifiedBy: null,
            deadlineKind: "acknowledge",
            deadlineAt: new Date(start.getTime() + 60_000),
            version: 1,
          };
          let now = start;
          let closings = 0;
          let closedState: WorkflowState | undefined;
          for (const step of steps) {
            now = new Date(now.getTime() + step.minutes * 60_000);
            const other = state.postId === "pst_a" ? "pst_b" : "pst_a";
            const action = toAction(step, state.version, step.officer, {
              same: state.postId ?? "pst_a",
              other,
            }) as WorkflowAction;
            const before = structuredClone(state);
            let decision: Decision;
            try {
              decision = decide(DEFAULT_DEADLINES, state, action, now);
            } catch (error) {
              expect(error).toBeInstanceOf(AppError);
              expect(EXPECTED_ERRORS).toContain((error as AppError).code);
              expect(state).toEqual(before); // refused: nothing changed
              if ((error as AppError).code === "CONFLICT") reached.conflict += 1;
              continue;
            }
            expect(state).toEqual(before); // decide never mutates its input
            if (!decision.changed) {
              expect(decision.state).toBe(state);
              reached.replay += 1;
              continue;
            }
            assertAllowedStep(state, decision);
            if (decision.closed) closings += 1;
            if (decision.transferredTo) reached.transferred += 1;
            if (decision.state.visitOwedSince) reached.visitOwed += 1;
            state = decision.state;
            if (isClosed(state.stage)) closedState ??= structuredClone(state);
          }
          expect(closings).toBeLessThanOrEqual(1);
          expect(closings).toBe(isClosed(state.stage) ? 1 : 0);
          if (closedState) expect(state).toEqual(closedState);
          reached.closed += closings;
        },
      ),
      { numRuns: 500 },
    );
    for (const [path, times] of Object.entries(reached)) expect(times, path).toBeGreaterThanOrEqual(10);
  });
});

// ---- through the use cases, on the real database ---------------------------------------------

describe("the verify use cases, driven by random action sequences on the database", () => {
  // Each run pushes a fresh alert through intake and the queue: a few seconds per run on a busy machine.
  it("keep the same invariants, and every final outcome yields one feedback event per source", {
    timeout: 300_000,
  }, async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    const { ids } = ctx.fixture;
    const principals: Record<string, Principal> = {
      off_a: {
        officerId: "off_miaogong",
        stationId: ids.station,
        postId: ids.miaogong,
        role: "officer",
        passwordChangeRequired: false,
      },
      off_b: {
        officerId: "off_ergong",
        stationId: ids.station,
        postId: ids.ergong,
        role: "officer",
        passwordChangeRequired: false,
      },
      off_s: {
        officerId: "off_supervisor",
        stationId: ids.station,
        postId: null,
        role: "supervisor",
        passwordChangeRequired: false,
      },
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
