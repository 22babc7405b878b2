import { count, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { warnings } from "../../schema";
import { DAY } from "../parcels/support";
import { givenClosedAlert, RETENTION_DAYS, retentionContext } from "./support";

/**
 * Two retention sweeps at the same moment, on separate connections. PostgreSQL only (vitest.config.ts):
 * on PGlite's single connection they would take turns. The sequential half of this test (a second sweep
 * finds nothing) stays in retention.test.ts and runs on both databases.
 */
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
