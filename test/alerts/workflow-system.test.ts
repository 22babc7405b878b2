import { describe, expect, it } from "vitest";
import type { EscalationStep } from "../../schema";
import {
  chainAfterOfficerStep,
  type EscalationState,
  escalate,
  feedBack,
} from "../../src/alerts/workflow-system";
import { errorOf, minutes } from "./workflow-support";

describe("escalation", () => {
  const REMIND = 30;
  const oneStep: EscalationStep[] = [
    { targets: [{ kind: "on_duty" }, { kind: "supervisors" }], waitMinutes: REMIND },
  ];
  const threeSteps: EscalationStep[] = [
    { targets: [{ kind: "on_duty" }], waitMinutes: 5 },
    { targets: [{ kind: "supervisors" }], waitMinutes: 10 },
    { targets: [{ kind: "duty_desk" }], waitMinutes: 15 },
  ];
  const policies = { critical: oneStep, high: oneStep, medium: threeSteps, low: oneStep };
  const overdue = (overrides: Partial<EscalationState> = {}): EscalationState => ({
    stage: "pushed",
    riskLevel: "medium",
    deadlineKind: "acknowledge",
    deadlineAt: minutes(5),
    escalationCount: 0,
    escalationStep: 0,
    escalationLevel: null,
    ...overrides,
  });

  it("begins the chain at a missed deadline: flag, level raised one step, the first step of the level's policy", () => {
    const e = escalate(overdue(), minutes(6), policies);
    expect(e).toMatchObject({ reminder: false, step: 1, steps: 3, targets: [{ kind: "on_duty" }] });
    expect(e.changes).toEqual({
      escalated: true,
      escalationCount: 1,
      lastEscalatedAt: minutes(6),
      riskLevel: "high",
      deadlineAt: minutes(11),
      escalationStep: 1,
      escalationLevel: "medium",
    });
    expect(e.event).toEqual({
      kind: "escalated",
      data: {
        count: 1,
        step: 1,
        steps: 3,
        reminder: false,
        targets: ["on_duty"],
        deadline: "acknowledge",
        deadlineAt: minutes(5).toISOString(),
        nextDeadlineAt: minutes(11).toISOString(),
        riskFrom: "medium",
        riskTo: "high",
      },
    });
  });

  it("pages the next step of the policy the chain began with, each with its own wait, without raising again", () => {
    // Raised to high by the first step; the chain still follows medium's three steps.
    const state = overdue({
      riskLevel: "high",
      escalationCount: 1,
      escalationStep: 1,
      escalationLevel: "medium",
    });
    const second = escalate({ ...state, deadlineAt: minutes(11) }, minutes(12), policies);
    expect(second).toMatchObject({ reminder: false, step: 2, targets: [{ kind: "supervisors" }] });
    expect(second.changes).toMatchObject({ riskLevel: "high", escalationStep: 2, deadlineAt: minutes(22) });
    const third = escalate({ ...state, ...second.changes }, minutes(23), policies);
    expect(third).toMatchObject({ reminder: false, step: 3, targets: [{ kind: "duty_desk" }] });
    expect(third.changes.deadlineAt).toEqual(minutes(38));
  });

  it("pages the last step again, as a reminder, once the chain has run out", () => {
    const state = overdue({
      escalationCount: 3,
      escalationStep: 3,
      escalationLevel: "medium",
      riskLevel: "high",
    });
    const e = escalate(state, minutes(40), policies);
    expect(e).toMatchObject({ reminder: true, step: 3, targets: [{ kind: "duty_desk" }] });
    expect(e.changes).toMatchObject({ escalationCount: 4, riskLevel: "high", deadlineAt: minutes(55) });
  });

  it.each([
    ["low", "medium"],
    ["high", "critical"],
    ["critical", "critical"],
  ] as const)("raises %s to %s", (from, to) => {
    expect(escalate(overdue({ riskLevel: from }), minutes(6), policies).changes.riskLevel).toBe(to);
  });

  it("refuses a closed alert with INVALID_TRANSITION", () => {
    expect(errorOf(() => escalate(overdue({ stage: "verified" }), minutes(6), policies)).code).toBe(
      "INVALID_TRANSITION",
    );
  });
});

describe("the chain after an officer's step", () => {
  it("ends when the alert moves on to another deadline (acknowledging stops the chain)", () => {
    expect(
      chainAfterOfficerStep(
        { deadlineKind: "acknowledge" },
        { deadlineKind: "contact", deadlineAt: minutes(30) },
        false,
      ),
    ).toEqual({ deadlineKind: "contact", deadlineAt: minutes(30), escalationStep: 0, escalationLevel: null });
  });

  it("leaves the deadline and a running chain as they are when the alert still owes the same thing", () => {
    expect(
      chainAfterOfficerStep(
        { deadlineKind: "feedback" },
        { deadlineKind: "feedback", deadlineAt: minutes(20) },
        false,
      ),
    ).toBeNull();
  });

  it("ends on a transfer: the new post starts from its own deadline", () => {
    expect(
      chainAfterOfficerStep(
        { deadlineKind: "acknowledge" },
        { deadlineKind: "acknowledge", deadlineAt: minutes(60) },
        true,
      ),
    ).toMatchObject({ escalationStep: 0, deadlineAt: minutes(60) });
  });
});

describe("fed back", () => {
  it("moves a verified alert to fed_back with no deadline and the next version", () => {
    expect(feedBack({ stage: "verified", version: 4 }, minutes(90))).toEqual({
      changed: true,
      changes: {
        stage: "fed_back",
        fedBackAt: minutes(90),
        deadlineKind: null,
        deadlineAt: null,
        version: 5,
      },
    });
  });

  it.each(["fed_back", "acknowledged"] as const)("leaves an alert %s as it is", (stage) => {
    expect(feedBack({ stage, version: 4 }, minutes(90))).toEqual({ changed: false });
  });
});
