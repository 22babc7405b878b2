import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Tx } from "../../src/db/client";
import { createTestContext } from "../support/context";
import { aPartner } from "../support/partners";
import { pullAll } from "./support";

/**
 * Status changes committing out of id order: one transaction writes an event and stays open while another writes
 * the next and commits. A pull must not hand out a cursor past the first one's event, or the partner would never
 * see it. PostgreSQL only: PGlite's one connection cannot hold a transaction open while another commits.
 */
describe("GET /v1/partners/{partnerId}/message-events with transactions committing out of order", () => {
  it("holds back a later event until the earlier transaction commits, then gives both in order", async () => {
    const ctx = await createTestContext();
    const partner = await aPartner(ctx);
    const write = (tx: Tx, waybillNo: string) =>
      tx.execute(
        sql`insert into partner_message_events (partner_id, parcel_event_id, waybill_no, kind, status, at)
            values (${partner.id}, ${`pev_${waybillNo}`}, ${waybillNo}, 'arrived_at_pickup_point', 'delivered', now())`,
      );

    let releaseEarly: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      releaseEarly = resolve;
    });
    let earlyWritten: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      earlyWritten = resolve;
    });
    const early = ctx.deps.db.transaction(async (tx) => {
      await write(tx, "YT-EARLY");
      earlyWritten();
      await gate;
    });
    await written;
    await ctx.deps.db.transaction((tx) => write(tx, "YT-LATE"));

    // Not waiting for every event to be readable: that is what the earlier, open transaction prevents.
    const during = await pullAll(ctx, partner, { wait: false });
    expect(during.events).toEqual([]);

    releaseEarly();
    await early;
    const after = await pullAll(ctx, partner, { after: during.nextCursor });
    expect(after.events.map((e) => e.waybillNo)).toEqual(["YT-EARLY", "YT-LATE"]);
  });
});
