import fc from "fast-check";
import { ALERT_STAGES, type AlertStage, CONTACT_CHANNELS, OUTCOMES } from "../../schema";
import { isFinalOutcome } from "../../src/alerts/workflow";

/**
 * Random sequences of officer actions, shared by the workflow's property tests: the pure state machine
 * (workflow.property.test.ts) and the verify use cases on the database (verify.property.test.ts) are driven
 * by the same steps and checked against the same invariants.
 */

export const stageIndex = (stage: AlertStage) => ALERT_STAGES.indexOf(stage);
/** The refusals an officer's action may meet; anything else thrown is a bug. */
export const EXPECTED_ERRORS = ["INVALID_TRANSITION", "CONFLICT", "VALIDATION_FAILED"];

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

export type Step =
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
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
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

export function toAction(
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
