import { describe, expect, it } from "vitest";
import { startSchedules } from "../../src/local/scheduler";
import { createTestContext } from "../support/context";
import { queuedJobs } from "../support/feedback";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("local schedules", () => {
  it("puts sweep.run on the sweeper queue at start and every SWEEP_INTERVAL_SECONDS, until stopped", async () => {
    const ctx = await createTestContext({ env: { SWEEP_INTERVAL_SECONDS: "0.1" } });

    const schedules = startSchedules(ctx.deps, ["sweeper"]);
    await sleep(450);
    schedules.stop();
    await sleep(50);
    const ticks = await queuedJobs(ctx, "sweeper");
    await sleep(250);

    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.every((t) => t.payload.type === "sweep.run" && t.payload.v === 1)).toBe(true);
    expect(await queuedJobs(ctx, "sweeper")).toHaveLength(ticks.length);
  });

  it("leaves a schedule alone in a process that does not work its queue", async () => {
    const ctx = await createTestContext({ env: { SWEEP_INTERVAL_SECONDS: "0.1" } });

    const schedules = startSchedules(ctx.deps, ["alert-push"]);
    await sleep(250);
    schedules.stop();

    expect(await queuedJobs(ctx, "sweeper")).toEqual([]);
  });
});
