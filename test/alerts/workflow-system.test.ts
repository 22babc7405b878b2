import { describe, expect, it } from "vitest";
import { type EscalationState, escalate, feedBack } from "../../src/alerts/workflow-system";
import { errorOf, minutes } from "./workflow-support";

describe("escalation", () => {
  const REMIND = 30 * 60_000;
  const overdue = (overrides: Partial<EscalationState> = {}): EscalationState => ({
    stage: "pushed",
    riskLevel: "medium",
    deadlineKind: "acknowledge",
    deadlineAt: minutes(5),
    escalationCount: 0,
    lastEscalatedAt: null,
    ...overrides,
  });

  it("escalates a missed deadline: flag, level raised one step, the next deadline a remind interval away", () => {
    const e = escalate(overdue(), minutes(6), REMIND);
    expect(e.reminder).toBe(false);
    expect(e.changes).toEqual({
      escalated: true,
      escalationCount: 1,
      lastEscalatedAt: minutes(6),
      riskLevel: "high",
      deadlineAt: minutes(36),
    });
    expect(e.event).toEqual({
      kind: "escalated",
      data: {
        count: 1,
        reminder: false,
        deadline: "acknowledge",
        deadlineAt: minutes(5).toISOString(),
        nextDeadlineAt: minutes(36).toISOString(),
        riskFrom: "medium",
        riskTo: "high",
      },
    });
  });

  it("reminds, without raising the level, when the deadline is the one the last escalation set", () => {
    const state = overdue({ escalationCount: 1, lastEscalatedAt: minutes(6), deadlineAt: minutes(36) });
    const e = escalate(state, minutes(37), REMIND);
    expect(e.reminder).toBe(true);
    expect(e.changes).toMatchObject({ escalationCount: 2, riskLevel: "medium", deadlineAt: minutes(67) });
  });

  it("escalates as new a deadline set after the last escalation's interval", () => {
    const state = overdue({ escalationCount: 1, lastEscalatedAt: minutes(6), deadlineAt: minutes(60) });
    const e = escalate(state, minutes(61), REMIND);
    expect(e.reminder).toBe(false);
    expect(e.changes.riskLevel).toBe("high");
  });

  it.each([
    ["low", "medium"],
    ["high", "critical"],
    ["critical", "critical"],
  ] as const)("raises %s to %s", (from, to) => {
    expect(escalate(overdue({ riskLevel: from }), minutes(6), REMIND).changes.riskLevel).toBe(to);
  });

  it("refuses a closed alert with INVALID_TRANSITION", () => {
    expect(errorOf(() => escalate(overdue({ stage: "verified" }), minutes(6), REMIND)).code).toBe(
      "INVALID_TRANSITION",
    );
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
