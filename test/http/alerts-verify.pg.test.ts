import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alertEvents, alerts, feedbackEvents } from "../../schema";
import { type Caller, tokenFor } from "../support/access";
import { givenPushedAlert, type Problem, send } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";

/**
 * Two officers recording an outcome at the same moment, on two connections. PostgreSQL only
 * (vitest.config.ts): on PGlite's single connection the two requests take turns and cannot race.
 * Moved here unchanged from alerts-verify.test.ts.
 */

async function act(ctx: TestContext, caller: Caller, alertId: string, action: string, body?: unknown) {
  return send(ctx, await tokenFor(ctx, caller), "POST", `/v1/alerts/${alertId}/${action}`, body);
}

async function acknowledged(ctx: TestContext) {
  const id = await givenPushedAlert(ctx);
  const res = await act(ctx, "miaogong", id, "acknowledge");
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return id;
}

const alertRow = async (ctx: TestContext, id: string) =>
  (await ctx.deps.db.select().from(alerts).where(eq(alerts.id, id)))[0];

async function rowCount(ctx: TestContext, table: typeof feedbackEvents, alertId: string) {
  const [row] = await ctx.deps.db.select({ n: count() }).from(table).where(eq(table.alertId, alertId));
  return row?.n ?? 0;
}

describe("POST /v1/alerts/{id}/outcome", () => {
  describe("when two officers finish the same alert at once", () => {
    const finishTogether = async (ctx: TestContext, id: string, expectedVersion?: number) =>
      Promise.all([
        act(ctx, "miaogong", id, "outcome", {
          outcome: "dissuaded",
          amountProtected: 700,
          note: "A",
          expectedVersion,
        }),
        act(ctx, "supervisor", id, "outcome", {
          outcome: "already_defrauded",
          amountLost: 900,
          note: "B",
          expectedVersion,
        }),
      ]);

    it("lets one win and answers the other 409 CONFLICT, never a mixed record", async () => {
      const ctx = await createTestContext();
      for (let round = 0; round < 3; round++) {
        const id = await acknowledged(ctx);
        const version = (await alertRow(ctx, id))?.version as number;

        const responses = await finishTogether(ctx, id, version);

        const statuses = responses.map((r) => r.status).sort();
        expect(statuses).toEqual([200, 409]);
        const loser = responses.find((r) => r.status === 409) as Response;
        expect(((await loser.json()) as Problem).code).toBe("CONFLICT");
        await expectOneWinner(ctx, id);
      }
    });

    it("without expectedVersion still lets exactly one win, with 409 for the other", async () => {
      const ctx = await createTestContext();
      for (let round = 0; round < 3; round++) {
        const id = await acknowledged(ctx);

        const responses = await finishTogether(ctx, id);

        expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
        const loser = (await (responses.find((r) => r.status === 409) as Response).json()) as Problem;
        // Losing the race at the update is CONFLICT; starting after the winner committed sees a closed alert.
        expect(["CONFLICT", "INVALID_TRANSITION"]).toContain(loser.code);
        await expectOneWinner(ctx, id);
      }
    });

    async function expectOneWinner(ctx: TestContext, id: string) {
      const row = await alertRow(ctx, id);
      const winners = {
        off_miaogong: { outcome: "dissuaded", amountProtected: 700, amountLost: null, outcomeNote: "A" },
        off_supervisor: {
          outcome: "already_defrauded",
          amountProtected: null,
          amountLost: 900,
          outcomeNote: "B",
        },
      } as const;
      expect(row?.stage).toBe("verified");
      expect(row).toMatchObject(winners[row?.verifiedBy as keyof typeof winners]);
      expect(await rowCount(ctx, feedbackEvents, id)).toBe(1);
      const outcomes = await ctx.deps.db
        .select()
        .from(alertEvents)
        .where(and(eq(alertEvents.alertId, id), eq(alertEvents.kind, "outcome_recorded")));
      expect(outcomes.map((e) => e.officerId)).toEqual([row?.verifiedBy]);
    }
  });
});
