import { count, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { warnings } from "../../schema";
import { runSweep } from "../../src/sweeper/sweep";
import { DAY } from "../parcels/support";
import { givenPushedAlert, send } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/**
 * Two retention sweeps at the same moment, on separate connections. PostgreSQL only (vitest.config.ts):
 * on PGlite's single connection they would take turns. The sequential half of this test (a second sweep
 * finds nothing) stays in retention.test.ts and runs on both databases.
 */
const RETENTION_DAYS = 30;

async function retentionContext(env: Record<string, string> = {}) {
  const clock = new ManualClock(new Date());
  const ctx = await createTestContext({
    clock,
    env: { PII_RETENTION_DAYS: String(RETENTION_DAYS), ...env },
  });
  return { ctx, clock, sweep: () => runSweep(ctx.deps, ctx.deps.log) };
}

async function call(ctx: TestContext, method: string, path: string, body?: unknown) {
  const res = await send(ctx, await ctx.login("miaogong"), method, path, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An alert pushed, worked (a contact attempt with a note) and closed as dissuaded with a note. */
async function givenClosedAlert(ctx: TestContext): Promise<string> {
  const id = await givenPushedAlert(ctx, { area: { code: "652301105201", address: "三工镇庙工村七组12号" } });
  expect((await call(ctx, "POST", `/v1/alerts/${id}/acknowledge`)).status).toBe(200);
  const attempt = { channel: "phone", reached: true, note: "王某本人接听，称正在给“客服”转账" };
  expect((await call(ctx, "POST", `/v1/alerts/${id}/attempts`, attempt)).status).toBe(200);
  const outcome = { outcome: "dissuaded", amountProtected: 3_000_000, note: "已劝阻，王某同意报警" };
  expect((await call(ctx, "POST", `/v1/alerts/${id}/outcome`, outcome)).status).toBe(200);
  return id;
}

describe("retention purge (PII_RETENTION_DAYS)", () => {
  it("does each purge once when two sweeps run at once: they split the work, and a later one finds nothing", async () => {
    const { ctx, clock, sweep } = await retentionContext();
    const ids = [await givenClosedAlert(ctx), await givenClosedAlert(ctx), await givenClosedAlert(ctx)];
    clock.advance((RETENTION_DAYS + 1) * DAY);

    const [a, b] = await Promise.all([sweep(), sweep()]);
    const again = await sweep();

    expect(a.alertsPurged + b.alertsPurged).toBe(ids.length);
    expect(again).toMatchObject({ alertsPurged: 0, smsPurged: 0, parcelEventsPurged: 0 });
    const [left] = await ctx.deps.db
      .select({ n: count() })
      .from(warnings)
      .where(sql`${warnings.subjectPhoneEnc} is not null`);
    expect(left?.n).toBe(0);
  });
});
