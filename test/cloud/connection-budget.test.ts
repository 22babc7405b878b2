import { describe, expect, it } from "vitest";
import { CLOUD_POOL_SIZE, checkConnectionBudget, cloudConnectionDemand, QUEUES } from "../../src/topology";

describe("the cloud's database connection budget", () => {
  it("counts every function at its ceiling, each instance with its pool", () => {
    const { total, byFunction } = cloudConnectionDemand();
    expect(byFunction["sms-bulk consumer"]).toBe(QUEUES["sms-bulk"].maxConcurrency * CLOUD_POOL_SIZE);
    expect(total).toBe(Object.values(byFunction).reduce((a, b) => a + b, 0));
    expect(CLOUD_POOL_SIZE).toBeLessThanOrEqual(2);
  });

  it("fits the smallest stage's budget (infra/settings.ts) and refuses a smaller one, naming the sum", () => {
    expect(() => checkConnectionBudget(120)).not.toThrow();
    const { total } = cloudConnectionDemand();
    expect(() => checkConnectionBudget(total - 1)).toThrow(new RegExp(`open ${total} database connections`));
  });

  it("gives every queue's event source a maximum concurrency SQS accepts (2 to 1000)", () => {
    for (const spec of Object.values(QUEUES)) {
      expect(spec.maxConcurrency).toBeGreaterThanOrEqual(2);
      expect(spec.maxConcurrency).toBeLessThanOrEqual(1000);
    }
  });
});
