import { expect } from "vitest";
import { runSweep } from "../../src/sweeper/sweep";
import { givenPushedAlert, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/** What the retention tests share: a context with a short retention period, and an alert worked and closed. */
export const RETENTION_DAYS = 30;

/**
 * Starts at the real time: rows the database stamps itself (created_at defaults) and rows the application
 * stamps from this clock must agree, or a cutoff computed from one would be wrong for the other.
 */
export async function retentionContext(env: Record<string, string> = {}) {
  const clock = new ManualClock(new Date());
  const ctx = await createTestContext({
    clock,
    env: { PII_RETENTION_DAYS: String(RETENTION_DAYS), ...env },
  });
  return { ctx, clock, sweep: () => runSweep(ctx.deps, ctx.deps.log) };
}

/** A fresh login each time: the tests move the clock past any session's life. */
export async function call(ctx: TestContext, method: string, path: string, body?: unknown) {
  const res = await send(ctx, await ctx.login("miaogong"), method, path, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An alert pushed, worked (a contact attempt with a note) and closed as dissuaded with a note. */
export async function givenClosedAlert(ctx: TestContext): Promise<string> {
  const id = await givenPushedAlert(ctx, { area: { code: "652301105201", address: "三工镇庙工村七组12号" } });
  expect((await call(ctx, "POST", `/v1/alerts/${id}/acknowledge`)).status).toBe(200);
  const attempt = { channel: "phone", reached: true, note: "王某本人接听，称正在给“客服”转账" };
  expect((await call(ctx, "POST", `/v1/alerts/${id}/attempts`, attempt)).status).toBe(200);
  const outcome = { outcome: "dissuaded", amountProtected: 3_000_000, note: "已劝阻，王某同意报警" };
  expect((await call(ctx, "POST", `/v1/alerts/${id}/outcome`, outcome)).status).toBe(200);
  return id;
}
