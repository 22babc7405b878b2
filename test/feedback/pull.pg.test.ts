import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts } from "../../schema";
import { queryRows } from "../../src/db/client";
import { createFeedbackEvents } from "../../src/feedback/create";
import { signPayload } from "../../src/signature";
import { givenPushedAlert } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/**
 * An outcome's transaction held open on one connection while another commits and a pull runs on a third.
 * PostgreSQL only (vitest.config.ts): PGlite's single connection cannot hold one transaction open while
 * another commits. Moved here unchanged from pull.test.ts (where it was skipped on PGlite).
 */

interface Page {
  events: { eventId: string; alertId: string; outcome: string }[];
  nextCursor: string;
  hasMore: boolean;
}

function pull(ctx: TestContext, clock: ManualClock, query: Record<string, string> = {}) {
  const t = Math.floor(clock.now().getTime() / 1000);
  const qs = new URLSearchParams(query).toString();
  return ctx.app.request(`/v1/feeds/${ctx.fixture.source.id}/feedback${qs ? `?${qs}` : ""}`, {
    headers: { "x-signature": signPayload(ctx.fixture.source.secret, "", t) },
  });
}

async function setup() {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock });
  return { ctx, clock };
}

describe("GET /v1/feeds/{sourceId}/feedback", () => {
  describe("with outcomes committing out of seq order", () => {
    it("waits for the earlier outcome instead of skipping past it", async () => {
      const { ctx, clock } = await setup();
      const early = await givenPushedAlert(ctx);
      const late = await givenPushedAlert(ctx);
      const close = async (
        tx: Parameters<Parameters<typeof ctx.deps.db.transaction>[0]>[0],
        alertId: string,
      ) => {
        const [row] = await tx
          .update(alerts)
          .set({ stage: "verified", outcome: "not_fraud", verifiedAt: clock.now() })
          .where(and(eq(alerts.id, alertId), eq(alerts.stage, "pushed")))
          .returning();
        await createFeedbackEvents(tx, () => {}, row as typeof alerts.$inferSelect, clock.now());
      };

      // Outcome A takes the lower seq and stays open; outcome B takes the next seq and commits first.
      let releaseA: () => void = () => {};
      const aHoldsSeq = new Promise<void>((resolveHeld) => {
        const gate = new Promise<void>((resolve) => {
          releaseA = resolve;
        });
        void ctx.deps.db.transaction(async (tx) => {
          await close(tx, early);
          resolveHeld();
          await gate;
        });
      });
      await aHoldsSeq;
      await ctx.deps.db.transaction((tx) => close(tx, late));

      const pulled = Promise.resolve(pull(ctx, clock));
      const settledEarly = await Promise.race([
        pulled.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 300)),
      ]);
      expect(settledEarly).toBe(false);
      releaseA();

      const page = (await (await pulled).json()) as Page;
      expect(page.events.map((e) => e.alertId)).toEqual([early, late]);
      const delivered = await queryRows<{ n: number }>(
        ctx.deps.db,
        sql`select count(*)::int as n from feedback_events where status = 'delivered'`,
      );
      expect(delivered[0]?.n).toBe(2);
    });
  });
});
