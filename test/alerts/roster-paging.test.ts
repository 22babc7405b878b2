import { and, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { officerNotices, rosterAssignments, rosterOverrides, rosterShifts, smsMessages } from "../../schema";
import { escalateOverdue } from "../../src/alerts/escalate";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { alertsFor, drainQueues, smsTo } from "./support";

/**
 * Paging follows the roster (src/organisation/roster.ts): the test clock starts on Saturday 10:00 in Beijing.
 * 庙工's roster below has only a Monday day shift, so on Saturday nobody is on duty there and its duty desk is
 * paged instead.
 */
async function mondayOnlyRoster(ctx: TestContext) {
  await ctx.deps.db.insert(rosterShifts).values({
    id: "rsh_monday",
    stationId: ctx.fixture.ids.station,
    postId: ctx.fixture.ids.miaogong,
    dayOfWeek: 1,
    startMinute: 8 * 60,
    endMinute: 20 * 60,
  });
  await ctx.deps.db.insert(rosterAssignments).values({ shiftId: "rsh_monday", officerId: "off_miaogong" });
}

describe("paging by the roster", () => {
  it("pages the duty desk for an alert at a post with nobody on duty, and escalates to it too", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await mondayOnlyRoster(ctx);

    const [alertId] = await alertsFor(ctx, { riskLevel: "critical" });
    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toEqual([]);
    expect(await smsTo(ctx, ctx.fixture.phones.duty)).toEqual([expect.objectContaining({ alertId })]);
    clock.advanceMinutes(120);
    expect(await escalateOverdue(ctx.deps, 10)).toMatchObject({ escalated: 1 });
    const escalations = await ctx.deps.db
      .select({ recipientHash: smsMessages.recipientHash })
      .from(smsMessages)
      .where(and(eq(smsMessages.purpose, "escalation_notice"), eq(smsMessages.alertId, alertId as string)));
    expect(escalations.map((m) => m.recipientHash)).toEqual([ctx.deps.pii.hash(ctx.fixture.phones.duty)]);
  });

  it("does not text an officer whose leave began before the flush, and keeps the notice", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await alertsFor(ctx);
    await drainQueues(ctx, ["alert-push"]);
    await ctx.deps.db.insert(rosterOverrides).values({
      id: "rov_leave",
      stationId: ctx.fixture.ids.station,
      postId: ctx.fixture.ids.miaogong,
      officerId: "off_miaogong",
      kind: "leave",
      startsAt: clock.now(),
      endsAt: new Date(clock.now().getTime() + 86_400_000),
      createdBy: "off_admin",
    });

    await ctx.drain();

    expect(await smsTo(ctx, ctx.fixture.phones.miaogong)).toEqual([]);
    const pending = await ctx.deps.db
      .select()
      .from(officerNotices)
      .where(and(eq(officerNotices.officerId, "off_miaogong"), isNull(officerNotices.messageId)));
    expect(pending).toHaveLength(1);
  });
});
