import { describe, expect, it } from "vitest";
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
