import { DEFAULT_DEADLINES } from "../../src/alerts/deadlines";
import { type Decision, decide, type WorkflowAction, type WorkflowState } from "../../src/alerts/workflow";
import { AppError } from "../../src/errors";

/**
 * Arrangement for the tests of the pure workflow (workflow.test.ts, workflow-system.test.ts): an alert's
 * state as the state machine sees it, times counted in minutes from its receipt, and the decision or error
 * an action comes to. No database: these tests run in microseconds.
 */

export const RECEIVED = new Date("2026-11-28T02:00:00Z");
export const minutes = (n: number, from = RECEIVED) => new Date(from.getTime() + n * 60_000);

export function aState(overrides: Partial<WorkflowState> = {}): WorkflowState {
  return {
    stage: "pushed",
    riskLevel: "high",
    postId: "pst_miaogong",
    receivedAt: RECEIVED,
    assignedAt: RECEIVED,
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
    deadlineAt: minutes(5),
    version: 2,
    ...overrides,
  };
}

export const acknowledged = (overrides: Partial<WorkflowState> = {}) =>
  aState({ stage: "acknowledged", acknowledgedAt: minutes(1), acknowledgedBy: "off_a", ...overrides });

export const run = (state: WorkflowState, action: WorkflowAction, now = minutes(2)) =>
  decide(DEFAULT_DEADLINES, state, action, now);

export function changed(decision: Decision) {
  if (!decision.changed) throw new Error("expected a change");
  return decision;
}

export function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}
