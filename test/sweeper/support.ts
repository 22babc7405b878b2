import { and, asc, eq } from "drizzle-orm";
import { officers, smsMessages } from "../../schema";
import { runSweep } from "../../src/sweeper/sweep";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";
import { alertRow } from "../support/feedback";

/** What the sweeper tests share: a station whose supervisor has a phone, a manual clock, one sweep call. */
export const SUPERVISOR_PHONE = "+8613999009999";
export const MINUTE = 60_000;

export async function setup(env: Record<string, string> = {}) {
  const clock = new ManualClock();
  const ctx = await createTestContext({ clock, env });
  // The fixture's supervisor has no phone; escalations go to supervisors by SMS.
  await ctx.deps.db
    .update(officers)
    .set({ phoneEnc: ctx.deps.pii.encrypt(SUPERVISOR_PHONE), phoneHash: ctx.deps.pii.hash(SUPERVISOR_PHONE) })
    .where(eq(officers.id, "off_supervisor"));
  return { ctx, clock, sweep: () => runSweep(ctx.deps, ctx.deps.log) };
}

export async function escalationSms(ctx: TestContext, alertId: string) {
  return ctx.deps.db
    .select({ to: smsMessages.recipientMasked, body: smsMessages.body })
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "escalation_notice")))
    .orderBy(asc(smsMessages.createdAt), asc(smsMessages.id));
}

/** Moves the clock to `ms` after the alert's current deadline. */
export async function toDeadline(ctx: TestContext, clock: ManualClock, alertId: string, ms: number) {
  const { deadlineAt } = await alertRow(ctx, alertId);
  clock.advance((deadlineAt as Date).getTime() + ms - clock.now().getTime());
}
