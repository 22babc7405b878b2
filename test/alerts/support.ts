import { and, asc, count, eq } from "drizzle-orm";
import { expect } from "vitest";
import { alerts, devOutbox, smsMessages } from "../../schema";
import { messageHandler } from "../../src/consumers";
import { runBatch } from "../../src/queue/batch";
import { QUEUES, type QueueName } from "../../src/topology";
import { aSubjectPhone } from "../support/alerts";
import type { TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

/**
 * Helpers the alert tests share, so a race moved to a `*.pg.test.ts` file arranges and reads its state the
 * same way as the test it came from.
 */

export type Result = { index: number; status: string; alertId?: string; linked?: boolean };
type Deps = TestContext["deps"];

export async function post(ctx: TestContext, ...items: Record<string, unknown>[]): Promise<Result[]> {
  const res = await ctx.postWarnings({ warnings: items });
  expect(res.status).toBe(202);
  return ((await res.json()) as { results: Result[] }).results;
}

/** A warning about `phone`; overrides as for aWarning. */
export const about = (phone: string, overrides: Record<string, unknown> = {}) =>
  aWarning({ subject: { phone, name: "王某" }, ...overrides });

export async function alertCount(ctx: TestContext): Promise<number> {
  const [row] = await ctx.deps.db.select({ n: count() }).from(alerts);
  return Number(row?.n);
}

export const MIAOGONG = { area: { code: "652301105201", address: "三工镇庙工村七组" } };

/** Posts one warning per override (each about a new subject; one if none given) in one batch; returns the alert ids. */
export async function alertsFor(
  ctx: TestContext,
  ...overrides: Record<string, unknown>[]
): Promise<string[]> {
  const res = await ctx.postWarnings({
    warnings: (overrides.length > 0 ? overrides : [{}]).map((o) =>
      aWarning({ subject: { phone: aSubjectPhone() }, ...MIAOGONG, ...o }),
    ),
  });
  const { results } = (await res.json()) as { results: { status: string; alertId: string }[] };
  expect(results.every((r) => r.status === "accepted")).toBe(true);
  return results.map((r) => r.alertId);
}

/** Officer notifications a phone has been sent, oldest first. */
export async function smsTo(ctx: TestContext, phone: string) {
  return ctx.deps.db
    .select({ id: smsMessages.id, body: smsMessages.body, alertId: smsMessages.alertId })
    .from(smsMessages)
    .where(
      and(
        eq(smsMessages.purpose, "officer_notification"),
        eq(smsMessages.recipientHash, ctx.deps.pii.hash(phone)),
      ),
    )
    .orderBy(asc(smsMessages.createdAt), asc(smsMessages.id));
}

export async function drainQueues(ctx: TestContext, queues: QueueName[]) {
  const handle = messageHandler(ctx.deps);
  for (let round = 0; round < 20; round++) {
    let claimed = 0;
    for (const queue of queues) {
      const records = await ctx.deps.queue.claim(queue, QUEUES[queue].batchSize, 30);
      claimed += records.length;
      if (records.length > 0) {
        await ctx.deps.queue.settle(records, await runBatch(records, handle, ctx.deps.log), 10);
      }
    }
    if (claimed === 0) return;
  }
}

let subjectCount = 0;

/** Posts one warning and returns its alert id. Each gets its own subject unless told, so none joins another's alert. */
export async function intake(ctx: TestContext, overrides: Record<string, unknown> = {}): Promise<string> {
  subjectCount += 1;
  const subject = { phone: `+86 138 ${String(subjectCount).padStart(8, "0")}`, name: "王某" };
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject, ...overrides })] });
  const body = (await res.json()) as { results: { status: string; alertId?: string }[] };
  expect(body.results[0]?.status).toBe("accepted");
  return body.results[0]?.alertId as string;
}

/** Every SMS created for an alert, with its recipient decrypted for the assertions. */
export async function smsFor(deps: Deps, alertId: string) {
  const rows = await deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, alertId));
  return rows.map((r) => ({ ...r, to: deps.pii.decrypt(r.recipientEnc as string), body: r.body as string }));
}

export async function outboxFor(deps: Deps, alertId: string) {
  return deps.db.select().from(devOutbox).where(eq(devOutbox.alertId, alertId));
}
