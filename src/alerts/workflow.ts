import type { AlertStage, ContactChannel, DeadlineKind, Outcome, RiskLevel } from "../../schema";
import { AppError } from "../errors";
import { type DeadlinePolicy, nextDeadline } from "./deadlines";
import type { AlertEventKind } from "./events";

/**
 * 快核 as an explicit state machine, free of database and HTTP so every rule can be tested (and
 * property-tested) on its own. The use cases in ./verify.ts load this state, ask `decide` what an action
 * does, and write the answer with a conditional update.
 *
 *   received ─push─▶ pushed ─acknowledge─▶ acknowledged ─final outcome─▶ verified ─callback─▶ fed_back
 *                      ▲                     │   ▲
 *                      └── wrong_subject ────┘   └── attempts, unreachable (visit owed), refused_or_denied
 *
 * Two transitions are the system's, not an officer's, and live in ./workflow-system.ts: `escalate` (a
 * missed deadline, any open stage) and `feedBack` (verified ─▶ fed_back, the last feedback event delivered).
 */

/** Outcomes that close the alert and go back to the source. */
export const FINAL_OUTCOMES = [
  "dissuaded",
  "already_defrauded",
  "aware_no_loss",
  "not_fraud",
  "duplicate",
] as const satisfies readonly Outcome[];
export type FinalOutcome = (typeof FINAL_OUTCOMES)[number];

export const isFinalOutcome = (outcome: Outcome | null): outcome is FinalOutcome =>
  (FINAL_OUTCOMES as readonly string[]).includes(outcome ?? "");

export const isClosed = (stage: AlertStage) => stage === "verified" || stage === "fed_back";

/** A busy or unanswered call on an urgent alert means someone goes to the door (brief §3). */
const VISIT_ON_MISSED_CALL: readonly RiskLevel[] = ["critical", "high"];

export interface WorkflowState {
  stage: AlertStage;
  riskLevel: RiskLevel;
  postId: string | null;
  receivedAt: Date;
  /**
   * When the current post was given the alert: receipt, or the last transfer. The acknowledge and first
   * contact clocks run from here (a post cannot act before it has the alert); feedback runs from receipt.
   */
  assignedAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  /** Whether the current post has logged a contact attempt. */
  contacted: boolean;
  /** When the visit that is owed became owed; null when none is. */
  visitOwedSince: Date | null;
  outcome: Outcome | null;
  outcomeNote: string | null;
  amountProtected: number | null;
  amountLost: number | null;
  verifiedAt: Date | null;
  verifiedBy: string | null;
  deadlineKind: DeadlineKind | null;
  deadlineAt: Date | null;
  version: number;
}

interface ActionBase {
  officerId: string;
  /** The version the caller last saw; a different current version is a lost race (409 CONFLICT). */
  expectedVersion?: number;
}

export type WorkflowAction =
  | (ActionBase & { kind: "acknowledge" })
  | (ActionBase & { kind: "logAttempt"; channel: ContactChannel; reached: boolean; note?: string })
  | (ActionBase & {
      kind: "recordOutcome";
      outcome: Outcome;
      amountProtected?: number;
      amountLost?: number;
      note?: string;
      transferToPostId?: string;
    });

export interface WorkflowEvent {
  kind: AlertEventKind;
  data: Record<string, unknown>;
}

export type Decision =
  /** Nothing to do: the action was already applied (a retried request). The alert is returned as it is. */
  | { changed: false; state: WorkflowState }
  | {
      changed: true;
      state: WorkflowState;
      events: WorkflowEvent[];
      /** The outcome closed the alert: its transaction publishes feedback.create (feedback events follow). */
      closed: boolean;
      /** Wrong subject: the alert goes to this post, whose officers must be told. */
      transferredTo?: string;
    };

const invalid = (message: string) => new AppError("INVALID_TRANSITION", message);

/** The deadline the alert is held to in `state` (null once closed). */
export function deadlineFor(policy: DeadlinePolicy, state: WorkflowState) {
  const input = {
    stage: state.stage,
    riskLevel: state.riskLevel,
    receivedAt: state.receivedAt,
    contacted: state.contacted,
    visitOwedSince: state.visitOwedSince,
  };
  const deadline = nextDeadline(policy, input);
  if (deadline && (deadline.kind === "acknowledge" || deadline.kind === "contact")) {
    // Which deadline applies does not depend on the base time, only when it falls does.
    return nextDeadline(policy, { ...input, receivedAt: state.assignedAt });
  }
  return deadline;
}

/**
 * What `action` does to an alert in `state` at `now`. Throws INVALID_TRANSITION (nothing changes) for an
 * action the stage does not allow, CONFLICT when the caller's expected version is stale, and
 * VALIDATION_FAILED for an outcome missing what it needs. Never mutates `state`.
 */
export function decide(
  policy: DeadlinePolicy,
  state: WorkflowState,
  action: WorkflowAction,
  now: Date,
): Decision {
  // A retry of what was already done answers with the alert as it is, whatever version the caller saw.
  if (isReplay(state, action)) return { changed: false, state };
  if (action.expectedVersion !== undefined && action.expectedVersion !== state.version) {
    throw new AppError(
      "CONFLICT",
      `the alert changed since version ${action.expectedVersion} (now ${state.version}); reload and retry`,
    );
  }
  if (isClosed(state.stage)) {
    throw invalid(`the alert is closed (${state.stage}, outcome ${state.outcome}); nothing can change it`);
  }
  switch (action.kind) {
    case "acknowledge":
      return acknowledge(policy, state, action, now);
    case "logAttempt":
      return logAttempt(policy, state, action, now);
    case "recordOutcome":
      return recordOutcome(policy, state, action, now);
  }
}

function isReplay(state: WorkflowState, action: WorkflowAction): boolean {
  if (action.kind === "acknowledge") {
    return (
      state.acknowledgedBy === action.officerId && state.stage !== "pushed" && state.stage !== "received"
    );
  }
  if (action.kind === "recordOutcome") {
    return (
      isClosed(state.stage) &&
      state.verifiedBy === action.officerId &&
      state.outcome === action.outcome &&
      state.amountProtected === (action.amountProtected ?? null) &&
      state.amountLost === (action.amountLost ?? null)
    );
  }
  // Each attempt is a new fact: two identical attempts are two calls.
  return false;
}

function withDeadline(policy: DeadlinePolicy, state: WorkflowState): WorkflowState {
  const deadline = deadlineFor(policy, state);
  return { ...state, deadlineKind: deadline?.kind ?? null, deadlineAt: deadline?.at ?? null };
}

function change(
  policy: DeadlinePolicy,
  before: WorkflowState,
  after: Omit<WorkflowState, "version" | "deadlineKind" | "deadlineAt">,
  events: WorkflowEvent[],
  extra: { closed?: boolean; transferredTo?: string } = {},
): Decision {
  const state = withDeadline(policy, {
    ...after,
    deadlineKind: null,
    deadlineAt: null,
    version: before.version + 1,
  });
  return {
    changed: true,
    state,
    events: events.map((e) => ({
      ...e,
      data: { ...e.data, deadline: state.deadlineKind, deadlineAt: state.deadlineAt?.toISOString() ?? null },
    })),
    closed: extra.closed ?? false,
    ...(extra.transferredTo ? { transferredTo: extra.transferredTo } : {}),
  };
}

function acknowledge(
  policy: DeadlinePolicy,
  state: WorkflowState,
  action: Extract<WorkflowAction, { kind: "acknowledge" }>,
  now: Date,
): Decision {
  if (state.stage === "received") throw invalid("the alert has not been pushed to a post yet");
  if (state.stage === "acknowledged") {
    throw invalid("another officer has already acknowledged this alert");
  }
  return change(
    policy,
    state,
    { ...state, stage: "acknowledged", acknowledgedAt: now, acknowledgedBy: action.officerId },
    [{ kind: "acknowledged", data: {} }],
  );
}

function requireAcknowledged(state: WorkflowState, what: string) {
  if (state.stage !== "acknowledged") throw invalid(`acknowledge the alert before ${what}`);
}

function logAttempt(
  policy: DeadlinePolicy,
  state: WorkflowState,
  action: Extract<WorkflowAction, { kind: "logAttempt" }>,
  now: Date,
): Decision {
  requireAcknowledged(state, "logging contact attempts");
  let visitOwedSince = state.visitOwedSince;
  let visitOpened = false;
  if (action.channel === "visit" && action.reached) {
    visitOwedSince = null;
  } else if (
    action.channel === "phone" &&
    !action.reached &&
    visitOwedSince === null &&
    VISIT_ON_MISSED_CALL.includes(state.riskLevel)
  ) {
    visitOwedSince = now;
    visitOpened = true;
  }
  return change(policy, state, { ...state, contacted: true, visitOwedSince }, [
    {
      kind: "attempt_logged",
      data: {
        channel: action.channel,
        reached: action.reached,
        ...(visitOpened ? { visitOpened: true } : {}),
        ...(state.visitOwedSince && !visitOwedSince ? { visitDone: true } : {}),
      },
    },
  ]);
}

function recordOutcome(
  policy: DeadlinePolicy,
  state: WorkflowState,
  action: Extract<WorkflowAction, { kind: "recordOutcome" }>,
  now: Date,
): Decision {
  requireAcknowledged(state, "recording an outcome");
  assertOutcomeInput(action);
  const note = action.note ?? null;
  const recorded: WorkflowEvent = {
    kind: "outcome_recorded",
    data: {
      outcome: action.outcome,
      ...(action.amountProtected !== undefined ? { amountProtected: action.amountProtected } : {}),
      ...(action.amountLost !== undefined ? { amountLost: action.amountLost } : {}),
    },
  };

  if (isFinalOutcome(action.outcome)) {
    return change(
      policy,
      state,
      {
        ...state,
        stage: "verified",
        outcome: action.outcome,
        outcomeNote: note,
        amountProtected: action.amountProtected ?? null,
        amountLost: action.amountLost ?? null,
        verifiedAt: now,
        verifiedBy: action.officerId,
        visitOwedSince: null,
      },
      [recorded],
      { closed: true },
    );
  }

  switch (action.outcome) {
    case "unreachable": {
      // An open visit keeps its clock: recording "unreachable" again must not push the deadline back.
      const visitOwedSince = state.visitOwedSince ?? now;
      return change(policy, state, { ...state, outcome: "unreachable", outcomeNote: note, visitOwedSince }, [
        { ...recorded, data: { ...recorded.data, ...(state.visitOwedSince ? {} : { visitOpened: true }) } },
      ]);
    }
    case "refused_or_denied":
      return change(policy, state, { ...state, outcome: "refused_or_denied", outcomeNote: note }, [recorded]);
    case "wrong_subject": {
      const to = action.transferToPostId as string;
      if (to === state.postId) {
        throw new AppError("VALIDATION_FAILED", "the alert is already at that post", [
          { path: "transferToPostId", message: "must be a different post" },
        ]);
      }
      return change(
        policy,
        state,
        {
          ...state,
          stage: "pushed",
          postId: to,
          assignedAt: now,
          acknowledgedAt: null,
          acknowledgedBy: null,
          contacted: false,
          visitOwedSince: null,
          outcome: "wrong_subject",
          outcomeNote: note,
        },
        [recorded, { kind: "transferred", data: { fromPostId: state.postId, toPostId: to } }],
        { transferredTo: to },
      );
    }
  }
  throw invalid(`unknown outcome ${action.outcome}`);
}

/**
 * The cross-field rules of an outcome, also enforced by the HTTP schema; repeated here so the machine is
 * safe to call from anywhere.
 */
function assertOutcomeInput(action: Extract<WorkflowAction, { kind: "recordOutcome" }>) {
  const errors: { path: string; message: string }[] = [];
  for (const field of ["amountProtected", "amountLost"] as const) {
    const value = action[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      errors.push({ path: field, message: "must be a whole number of fen, 0 or more" });
    }
    if (value !== undefined && !isFinalOutcome(action.outcome)) {
      errors.push({ path: field, message: `amounts belong to a final outcome, not ${action.outcome}` });
    }
  }
  if (action.outcome === "already_defrauded" && action.amountLost === undefined) {
    errors.push({ path: "amountLost", message: "required when the subject was already defrauded" });
  }
  if (action.outcome === "wrong_subject" && !action.transferToPostId) {
    errors.push({ path: "transferToPostId", message: "required for wrong_subject: the post to transfer to" });
  }
  if (action.outcome !== "wrong_subject" && action.transferToPostId !== undefined) {
    errors.push({ path: "transferToPostId", message: "only wrong_subject transfers the alert" });
  }
  if (errors.length > 0) throw new AppError("VALIDATION_FAILED", "the outcome is not valid", errors);
}
