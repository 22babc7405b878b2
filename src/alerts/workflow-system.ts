import type { AlertStage, DeadlineKind, RiskLevel } from "../../schema";
import { AppError } from "../errors";
import type { WorkflowEvent } from "./workflow";

/**
 * The alert's transitions that no officer takes, pure like the officer actions in ./workflow.ts (whose
 * diagram shows where they sit): escalation of a missed deadline (the sweeper's round, ./escalate.ts) and
 * `fed_back` once every feedback event is delivered (the feedback room, ./fed-back.ts).
 */

/** Stages in which someone still owes the alert a step: its deadline runs, and missing it escalates. */
export const OPEN_STAGES = ["received", "pushed", "acknowledged"] as const satisfies readonly AlertStage[];

/** An escalation raises the level one step; critical stays critical. */
const RAISED: Record<RiskLevel, RiskLevel> = {
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};

/** What escalation reads of an alert. */
export interface EscalationState {
  stage: AlertStage;
  riskLevel: RiskLevel;
  deadlineKind: DeadlineKind | null;
  deadlineAt: Date | null;
  escalationCount: number;
  lastEscalatedAt: Date | null;
}

export interface Escalation {
  /** The missed deadline was already escalated: a reminder, which does not raise the level again. */
  reminder: boolean;
  /** The alert's new fields (the version is left as it is, as escalation always has). */
  changes: {
    escalated: true;
    escalationCount: number;
    lastEscalatedAt: Date;
    riskLevel: RiskLevel;
    deadlineAt: Date;
  };
  event: WorkflowEvent;
}

/**
 * The escalation of an open alert whose deadline was missed (the caller selects those; ./escalate.ts).
 * A deadline not yet escalated (never, or escalated before this deadline was set) is escalated: flag,
 * level raised one step. One no later than the last escalation + the remind interval is the one the last
 * escalation set (or an earlier one the officer's next step computed under the raised level): a reminder,
 * without raising the level.
 *
 * The next deadline after an escalation or a reminder: now + the remind interval, kind unchanged — the time
 * the next reminder is owed, so the stale deadline neither keeps the alert overdue nor is measured against
 * again. The officer's next workflow step recomputes the deadline from the policy as always.
 */
export function escalate(state: EscalationState, now: Date, remindMs: number): Escalation {
  if (!(OPEN_STAGES as readonly AlertStage[]).includes(state.stage)) {
    throw new AppError(
      "INVALID_TRANSITION",
      `the alert is closed (${state.stage}); there is no deadline to escalate`,
    );
  }
  const reminder =
    state.lastEscalatedAt !== null &&
    state.deadlineAt !== null &&
    state.deadlineAt.getTime() <= state.lastEscalatedAt.getTime() + remindMs;
  const count = state.escalationCount + 1;
  const riskLevel = reminder ? state.riskLevel : RAISED[state.riskLevel];
  const nextDeadlineAt = new Date(now.getTime() + remindMs);
  return {
    reminder,
    changes: {
      escalated: true,
      escalationCount: count,
      lastEscalatedAt: now,
      riskLevel,
      deadlineAt: nextDeadlineAt,
    },
    event: {
      kind: "escalated",
      data: {
        count,
        reminder,
        deadline: state.deadlineKind,
        deadlineAt: state.deadlineAt?.toISOString() ?? null,
        nextDeadlineAt: nextDeadlineAt.toISOString(),
        riskFrom: state.riskLevel,
        riskTo: riskLevel,
      },
    },
  };
}

/** What the fed_back transition reads of an alert. */
export interface FeedbackState {
  stage: AlertStage;
  version: number;
}

export type FeedBackDecision =
  | { changed: false }
  | {
      changed: true;
      changes: { stage: "fed_back"; fedBackAt: Date; deadlineKind: null; deadlineAt: null; version: number };
    };

/**
 * Every feedback event of the alert has been delivered (a callback acknowledged, or the source pulled it):
 * a verified alert is fed back, and nothing is owed on it any more. Any other stage is left as it is — an
 * alert already fed back (a repeated delivery) or, should one ever have feedback events, an open one.
 */
export function feedBack(state: FeedbackState, now: Date): FeedBackDecision {
  if (state.stage !== "verified") return { changed: false };
  return {
    changed: true,
    changes: {
      stage: "fed_back",
      fedBackAt: now,
      deadlineKind: null,
      deadlineAt: null,
      version: state.version + 1,
    },
  };
}
