import { describe, expect, it } from "vitest";
import { DEFAULT_DEADLINES } from "../../src/alerts/deadlines";
import { FINAL_OUTCOMES, type WorkflowAction } from "../../src/alerts/workflow";
import { acknowledged, aState, changed, errorOf, minutes, run } from "./workflow-support";

describe("acknowledge", () => {
  it("claims a pushed alert for the officer and moves the deadline to first contact", () => {
    const d = changed(run(aState(), { kind: "acknowledge", officerId: "off_a" }, minutes(2)));

    expect(d.state).toMatchObject({
      stage: "acknowledged",
      acknowledgedBy: "off_a",
      acknowledgedAt: minutes(2),
    });
    expect(d.state.version).toBe(3);
    expect(d.state).toMatchObject({ deadlineKind: "contact", deadlineAt: minutes(15) });
    expect(d.events.map((e) => e.kind)).toEqual(["acknowledged"]);
  });

  it("returns the alert unchanged when the same officer acknowledges it again", () => {
    const state = acknowledged();
    const d = run(state, { kind: "acknowledge", officerId: "off_a", expectedVersion: 1 });
    expect(d).toEqual({ changed: false, state });
  });

  it("refuses a second officer's claim with INVALID_TRANSITION", () => {
    const error = errorOf(() => run(acknowledged(), { kind: "acknowledge", officerId: "off_b" }));
    expect(error.code).toBe("INVALID_TRANSITION");
  });

  it("refuses an alert that has not been pushed to a post yet", () => {
    const state = aState({ stage: "received", postId: null });
    expect(errorOf(() => run(state, { kind: "acknowledge", officerId: "off_a" })).code).toBe(
      "INVALID_TRANSITION",
    );
  });

  it("answers CONFLICT when the caller saw an older version", () => {
    const error = errorOf(() =>
      run(aState(), { kind: "acknowledge", officerId: "off_a", expectedVersion: 1 }),
    );
    expect(error.code).toBe("CONFLICT");
  });
});

describe("contact attempts", () => {
  it("are refused before the alert is acknowledged", () => {
    const error = errorOf(() =>
      run(aState(), { kind: "logAttempt", officerId: "off_a", channel: "phone", reached: true }),
    );
    expect(error.code).toBe("INVALID_TRANSITION");
  });

  it("satisfy the first-contact deadline; the feedback deadline follows", () => {
    const d = changed(
      run(acknowledged({ riskLevel: "medium" }), {
        kind: "logAttempt",
        officerId: "off_a",
        channel: "phone",
        reached: true,
      }),
    );
    expect(d.state).toMatchObject({ stage: "acknowledged", contacted: true, deadlineKind: "feedback" });
    expect(d.state.deadlineAt).toEqual(minutes(24 * 60));
  });

  it.each(["critical", "high"] as const)(
    "make a visit owed at once when a call on a %s alert is not answered",
    (riskLevel) => {
      const now = minutes(3);
      const d = changed(
        run(
          acknowledged({ riskLevel }),
          { kind: "logAttempt", officerId: "off_a", channel: "phone", reached: false },
          now,
        ),
      );
      const visitMinutes = DEFAULT_DEADLINES[riskLevel].visitMinutes as number;
      expect(d.state).toMatchObject({
        visitOwedSince: now,
        deadlineKind: "visit",
        deadlineAt: minutes(visitMinutes, now),
      });
      expect(d.events[0]?.data).toMatchObject({ visitOpened: true });
    },
  );

  it("do not owe a visit for an unanswered call on a medium alert", () => {
    const d = changed(
      run(acknowledged({ riskLevel: "medium" }), {
        kind: "logAttempt",
        officerId: "off_a",
        channel: "phone",
        reached: false,
      }),
    );
    expect(d.state.visitOwedSince).toBeNull();
    expect(d.state.deadlineKind).toBe("feedback");
  });

  it("discharge an owed visit when the visit reaches the subject", () => {
    const state = acknowledged({ contacted: true, visitOwedSince: minutes(3) });
    const d = changed(
      run(state, { kind: "logAttempt", officerId: "off_b", channel: "visit", reached: true }),
    );
    expect(d.state.visitOwedSince).toBeNull();
    expect(d.state.deadlineKind).toBe("feedback");
  });
});

describe("outcomes", () => {
  it.each(FINAL_OUTCOMES)("%s closes the alert as verified with nothing left owed", (outcome) => {
    const now = minutes(9);
    const d = changed(
      run(
        acknowledged(),
        {
          kind: "recordOutcome",
          officerId: "off_b",
          outcome,
          ...(outcome === "already_defrauded" ? { amountLost: 120_000 } : {}),
        },
        now,
      ),
    );
    expect(d.closed).toBe(true);
    expect(d.state).toMatchObject({
      stage: "verified",
      outcome,
      verifiedAt: now,
      verifiedBy: "off_b",
      deadlineKind: null,
      deadlineAt: null,
    });
  });

  it("records the amounts of a final outcome in fen", () => {
    const d = changed(
      run(acknowledged(), {
        kind: "recordOutcome",
        officerId: "off_a",
        outcome: "dissuaded",
        amountProtected: 5_000_000,
      }),
    );
    expect(d.state).toMatchObject({ amountProtected: 5_000_000, amountLost: null });
  });

  it("unreachable keeps the alert open and opens a visit with its own deadline", () => {
    const now = minutes(20);
    const d = changed(
      run(
        acknowledged({ riskLevel: "medium" }),
        { kind: "recordOutcome", officerId: "off_a", outcome: "unreachable" },
        now,
      ),
    );
    expect(d.closed).toBe(false);
    expect(d.state).toMatchObject({ stage: "acknowledged", outcome: "unreachable", visitOwedSince: now });
    expect(d.state).toMatchObject({ deadlineKind: "visit", deadlineAt: minutes(24 * 60, now) });
  });

  it("unreachable again does not push back a visit that is already owed", () => {
    const owed = minutes(5);
    const d = changed(
      run(
        acknowledged({ visitOwedSince: owed }),
        { kind: "recordOutcome", officerId: "off_a", outcome: "unreachable" },
        minutes(60),
      ),
    );
    expect(d.state.visitOwedSince).toEqual(owed);
    expect(d.state.deadlineAt).toEqual(minutes(120, owed));
  });

  it("refused_or_denied keeps the alert open for another attempt", () => {
    const d = changed(
      run(acknowledged({ contacted: true }), {
        kind: "recordOutcome",
        officerId: "off_a",
        outcome: "refused_or_denied",
        note: "hung up",
      }),
    );
    expect(d.closed).toBe(false);
    expect(d.state).toMatchObject({
      stage: "acknowledged",
      outcome: "refused_or_denied",
      outcomeNote: "hung up",
    });
  });

  it("wrong_subject transfers the alert back to pushed, unclaimed, with a fresh acknowledge deadline", () => {
    const now = minutes(30);
    const state = acknowledged({ contacted: true, visitOwedSince: minutes(10) });
    const d = changed(
      run(
        state,
        {
          kind: "recordOutcome",
          officerId: "off_a",
          outcome: "wrong_subject",
          transferToPostId: "pst_ergong",
        },
        now,
      ),
    );
    expect(d.transferredTo).toBe("pst_ergong");
    expect(d.state).toMatchObject({
      stage: "pushed",
      postId: "pst_ergong",
      acknowledgedBy: null,
      acknowledgedAt: null,
      contacted: false,
      visitOwedSince: null,
      assignedAt: now,
      deadlineKind: "acknowledge",
      deadlineAt: minutes(5, now),
    });
    expect(d.events.map((e) => e.kind)).toEqual(["outcome_recorded", "transferred"]);
  });

  describe.each([
    ["already_defrauded without amountLost", { outcome: "already_defrauded" }, "amountLost"],
    ["wrong_subject without a post", { outcome: "wrong_subject" }, "transferToPostId"],
    [
      "a transfer with another outcome",
      { outcome: "dissuaded", transferToPostId: "pst_ergong" },
      "transferToPostId",
    ],
    ["a negative amount", { outcome: "dissuaded", amountProtected: -1 }, "amountProtected"],
    ["a fractional amount", { outcome: "dissuaded", amountProtected: 10.5 }, "amountProtected"],
    ["amounts on an open outcome", { outcome: "unreachable", amountLost: 100 }, "amountLost"],
    [
      "a transfer to the same post",
      { outcome: "wrong_subject", transferToPostId: "pst_miaogong" },
      "transferToPostId",
    ],
  ] as const)("refuses %s", (_name, input, path) => {
    it(`with VALIDATION_FAILED naming ${path}`, () => {
      const error = errorOf(() =>
        run(acknowledged(), { kind: "recordOutcome", officerId: "off_a", ...input } as WorkflowAction),
      );
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(error.errors?.map((e) => e.path)).toContain(path);
    });
  });
});

describe("a closed alert", () => {
  const closed = acknowledged({
    stage: "verified",
    outcome: "dissuaded",
    verifiedAt: minutes(9),
    verifiedBy: "off_a",
    amountProtected: 100,
    deadlineKind: null,
    deadlineAt: null,
  });

  it.each<[string, WorkflowAction]>([
    ["another outcome", { kind: "recordOutcome", officerId: "off_a", outcome: "not_fraud" }],
    [
      "another officer's outcome",
      { kind: "recordOutcome", officerId: "off_b", outcome: "dissuaded", amountProtected: 100 },
    ],
    ["a contact attempt", { kind: "logAttempt", officerId: "off_a", channel: "sms", reached: true }],
    ["a claim by someone else", { kind: "acknowledge", officerId: "off_b" }],
  ])("refuses %s with INVALID_TRANSITION", (_name, action) => {
    expect(errorOf(() => run(closed, action)).code).toBe("INVALID_TRANSITION");
  });

  it("answers a retried outcome from the officer who recorded it with the alert unchanged", () => {
    const d = run(closed, {
      kind: "recordOutcome",
      officerId: "off_a",
      outcome: "dissuaded",
      amountProtected: 100,
      expectedVersion: 1,
    });
    expect(d).toEqual({ changed: false, state: closed });
  });
});

describe("deadlines after a transfer", () => {
  it("run the first-contact clock from the transfer, the feedback clock from receipt", () => {
    const transferredAt = minutes(40);
    const state = aState({ riskLevel: "critical", assignedAt: transferredAt, postId: "pst_ergong" });
    const ack = changed(run(state, { kind: "acknowledge", officerId: "off_b" }, minutes(41)));
    expect(ack.state).toMatchObject({ deadlineKind: "contact", deadlineAt: minutes(5, transferredAt) });
    const call = changed(
      run(
        ack.state,
        { kind: "logAttempt", officerId: "off_b", channel: "phone", reached: true },
        minutes(42),
      ),
    );
    expect(call.state).toMatchObject({ deadlineKind: "feedback", deadlineAt: minutes(60) });
  });
});
