import type { AlertStage, DeadlineKind, EscalationStep, EscalationTarget, RiskLevel } from "../../schema";
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
  /** 0: no step of the chain paged yet for this deadline; n: the n-th step was paged last. */
  escalationStep: number;
  /** The level whose policy the running chain follows; null when none runs. */
  escalationLevel: RiskLevel | null;
}

export interface Escalation {
  /** Past the policy's last step: the last step is paged again. */
  reminder: boolean;
  /** The step paged (1-based) and how many the policy has. */
  step: number;
  steps: number;
  targets: EscalationTarget[];
  /** The alert's new fields (the version is left as it is, as escalation always has). */
  changes: {
    escalated: true;
    escalationCount: number;
    lastEscalatedAt: Date;
    riskLevel: RiskLevel;
    deadlineAt: Date;
    escalationStep: number;
    escalationLevel: RiskLevel;
  };
  event: WorkflowEvent;
}

/**
 * The next step of the escalation chain of an open alert whose deadline was missed (the caller selects
 * those; ./escalate.ts). A chain that has not begun begins: flag, level raised one step, the first step of
 * the policy of the level the alert had. A running chain pages its next step, without raising the level
 * again; past the last step, the last step is paged again (a reminder).
 *
 * The next deadline: now + the paged step's wait, kind unchanged — when the next step is owed, so the missed
 * deadline neither keeps the alert overdue nor is measured against again. An officer's next step sets the
 * deadline from the deadline policy and ends the chain (src/alerts/verify.ts): acknowledging stops it.
 */
export function escalate(
  state: EscalationState,
  now: Date,
  policies: Record<RiskLevel, EscalationStep[]>,
): Escalation {
  if (!(OPEN_STAGES as readonly AlertStage[]).includes(state.stage)) {
    throw new AppError(
      "INVALID_TRANSITION",
      `the alert is closed (${state.stage}); there is no deadline to escalate`,
    );
  }
  const begins = state.escalationStep === 0 || state.escalationLevel === null;
  const level = begins ? state.riskLevel : (state.escalationLevel as RiskLevel);
  const steps = policies[level];
  const wanted = begins ? 1 : state.escalationStep + 1;
  const step = Math.min(wanted, steps.length);
  const paged = steps[step - 1] as EscalationStep;
  const count = state.escalationCount + 1;
  const riskLevel = begins ? RAISED[state.riskLevel] : state.riskLevel;
  const nextDeadlineAt = new Date(now.getTime() + paged.waitMinutes * 60_000);
  const reminder = wanted > steps.length;
  return {
    reminder,
    step,
    steps: steps.length,
    targets: paged.targets,
    changes: {
      escalated: true,
      escalationCount: count,
      lastEscalatedAt: now,
      riskLevel,
      deadlineAt: nextDeadlineAt,
      escalationStep: step,
      escalationLevel: level,
    },
    event: {
      kind: "escalated",
      data: {
        count,
        step,
        steps: steps.length,
        reminder,
        targets: paged.targets.map((t) => t.kind),
        deadline: state.deadlineKind,
        deadlineAt: state.deadlineAt?.toISOString() ?? null,
        nextDeadlineAt: nextDeadlineAt.toISOString(),
        riskFrom: state.riskLevel,
        riskTo: riskLevel,
      },
    },
  };
}

/** The deadline and escalation chain an officer's step writes. */
export interface ChainReset {
  deadlineKind: DeadlineKind | null;
  deadlineAt: Date | null;
  escalationStep: 0;
  escalationLevel: null;
}

/**
 * What an officer's step does to the deadline and the escalation chain. A step that moves the alert on to
 * another deadline (the acknowledge, the first contact, a transfer to a new post) writes the policy's new
 * deadline and ends the chain: missing it begins a new one. A step that leaves the alert owing the same thing
 * (a second call while feedback is owed) changes neither (null): a running chain keeps when its next step
 * is due, rather than paging it at once because the policy's deadline, recomputed, lies in the past, and a
 * sweep escalating the alert at the same moment is not undone.
 */
export function chainAfterOfficerStep(
  before: { deadlineKind: DeadlineKind | null },
  after: { deadlineKind: DeadlineKind | null; deadlineAt: Date | null },
  transferred: boolean,
): ChainReset | null {
  if (!transferred && after.deadlineKind === before.deadlineKind) return null;
  return {
    deadlineKind: after.deadlineKind,
    deadlineAt: after.deadlineAt,
    escalationStep: 0,
    escalationLevel: null,
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
