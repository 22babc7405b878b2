import { describe, expect, it } from "vitest";
import { escalationPolicies } from "../../schema";
import { acknowledgeAlert } from "../../src/alerts/verify";
import { principalOf } from "../support/access";
import { anAlert } from "../support/alerts";
import { alertRow, timelineKinds } from "../support/feedback";
import { escalationSms, MINUTE, setup } from "./support";

/** Two sweeps racing over the same overdue alerts: on PostgreSQL only, where two connections can race. */
describe("sweeper: missed deadlines", () => {
  it("escalates each alert once when two sweeps run at the same time", async () => {
    const { ctx, clock, sweep } = await setup();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await anAlert(ctx, { riskLevel: "high" }));
    clock.advance(6 * MINUTE);

    const [a, b] = await Promise.all([sweep(), sweep()]);

    expect(a.escalated + b.escalated).toBe(5);
    for (const id of ids) {
      expect((await alertRow(ctx, id)).escalationCount).toBe(1);
      expect(await escalationSms(ctx, id)).toHaveLength(2);
      expect((await timelineKinds(ctx, id)).filter((k) => k === "escalated")).toHaveLength(1);
    }
  });
});

describe("an acknowledge racing the escalation sweep", () => {
  // Either the sweep pages step 1 and the acknowledge then ends the chain, or the acknowledge commits first
  // and the sweep finds nothing overdue. Never a step paged after the acknowledge, never a chain left running.
  it("ends the chain whoever wins, and no later step is paged", async () => {
    const { ctx, clock, sweep } = await setup();
    await ctx.deps.db.insert(escalationPolicies).values({
      stationId: ctx.fixture.ids.station,
      riskLevel: "critical",
      steps: [
        { targets: [{ kind: "on_duty" }], waitMinutes: 1 },
        { targets: [{ kind: "supervisors" }], waitMinutes: 1 },
      ],
      updatedBy: "off_admin",
    });
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      // Received 2 minutes ago: the 1-minute acknowledge deadline is missed, first contact (5 minutes) is not.
      const alertId = await anAlert(ctx, {
        riskLevel: "critical",
        receivedAt: new Date(clock.now().getTime() - 2 * MINUTE),
      });
      const ack = () => acknowledgeAlert(ctx.deps, principalOf(ctx), alertId);
      await Promise.all(round % 2 ? [ack(), sweep()] : [sweep(), ack()]);
      clock.advance(MINUTE + 1); // when step 2 would be due
      await sweep();

      const kinds = (await timelineKinds(ctx, alertId)).filter(
        (k) => k === "escalated" || k === "acknowledged",
      );
      expect(["acknowledged", "escalated,acknowledged"], `round ${round}`).toContain(kinds.join());
      expect(await alertRow(ctx, alertId)).toMatchObject({ stage: "acknowledged", escalationStep: 0 });
      outcomes.add(kinds.join());
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });
});
