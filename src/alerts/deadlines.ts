import * as z from "zod/mini";
import type { DeadlineKind, RiskLevel } from "../../schema";
import { nextShanghaiMidnight } from "../calendar";
import "../zod-mini";

/**
 * How long each stage may take, by risk level. No national rule is published; the defaults follow reported
 * practice (brief §3): warnings forwarded within a minute, officers at the door within 3 to 50 minutes.
 * `contactMinutes`/`visitMinutes` null: that step is not owed at this level (low: SMS only, no visit).
 * `feedbackMinutes` "end_of_day": by midnight Asia/Shanghai of the day the warning arrived.
 */
const minutes = () => z.number().check(z.positive());

const LevelPolicySchema = z.object({
  acknowledgeMinutes: minutes(),
  contactMinutes: z.nullable(minutes()),
  visitMinutes: z.nullable(minutes()),
  feedbackMinutes: z.union([minutes(), z.literal("end_of_day")]),
});

export const DeadlinePolicySchema = z.object({
  critical: LevelPolicySchema,
  high: LevelPolicySchema,
  medium: LevelPolicySchema,
  low: LevelPolicySchema,
});

export type DeadlinePolicy = z.infer<typeof DeadlinePolicySchema>;

export const DEFAULT_DEADLINES: DeadlinePolicy = {
  critical: { acknowledgeMinutes: 1, contactMinutes: 5, visitMinutes: 30, feedbackMinutes: 60 },
  high: { acknowledgeMinutes: 5, contactMinutes: 15, visitMinutes: 120, feedbackMinutes: "end_of_day" },
  medium: { acknowledgeMinutes: 30, contactMinutes: 120, visitMinutes: 1440, feedbackMinutes: 1440 },
  low: { acknowledgeMinutes: 120, contactMinutes: null, visitMinutes: null, feedbackMinutes: 4320 },
};

export interface DeadlineState {
  stage: "received" | "pushed" | "acknowledged" | "verified" | "fed_back";
  riskLevel: RiskLevel;
  receivedAt: Date;
  /** Whether any contact attempt has been logged. */
  contacted: boolean;
  /** Set when a visit is owed, with the time it became owed. */
  visitOwedSince: Date | null;
}

const MINUTE = 60_000;

/**
 * The deadline an alert is held to now, or null when nothing is owed (closed alerts). Clocks run from
 * receipt, except a visit, which runs from when it became owed.
 */
export function nextDeadline(
  policy: DeadlinePolicy,
  state: DeadlineState,
): { kind: DeadlineKind; at: Date } | null {
  if (state.stage === "verified" || state.stage === "fed_back") return null;
  const level = policy[state.riskLevel];
  const from = (base: Date, minutes: number) => new Date(base.getTime() + minutes * MINUTE);
  if (state.stage === "received" || state.stage === "pushed") {
    return { kind: "acknowledge", at: from(state.receivedAt, level.acknowledgeMinutes) };
  }
  if (state.visitOwedSince && level.visitMinutes !== null) {
    return { kind: "visit", at: from(state.visitOwedSince, level.visitMinutes) };
  }
  if (!state.contacted && level.contactMinutes !== null) {
    return { kind: "contact", at: from(state.receivedAt, level.contactMinutes) };
  }
  const feedbackAt =
    level.feedbackMinutes === "end_of_day"
      ? nextShanghaiMidnight(state.receivedAt)
      : from(state.receivedAt, level.feedbackMinutes);
  return { kind: "feedback", at: feedbackAt };
}

/** Deadline policy from DEADLINES_JSON (partial overrides merged over the defaults per level). */
export function parseDeadlinePolicy(json: string | undefined): DeadlinePolicy {
  if (!json) return DEFAULT_DEADLINES;
  const overrides = JSON.parse(json) as Partial<Record<RiskLevel, Partial<DeadlinePolicy[RiskLevel]>>>;
  const merged = Object.fromEntries(
    (Object.keys(DEFAULT_DEADLINES) as RiskLevel[]).map((level) => [
      level,
      { ...DEFAULT_DEADLINES[level], ...overrides[level] },
    ]),
  );
  return DeadlinePolicySchema.parse(merged);
}
