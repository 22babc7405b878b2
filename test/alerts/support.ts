import { and, asc, count, eq } from "drizzle-orm";
import { expect } from "vitest";
import { alerts, devOutbox, jobs, officers, smsMessages } from "../../schema";
import { messageHandler } from "../../src/consumers";
import { runBatch } from "../../src/queue/batch";
import { QUEUE_NAMES, QUEUES, type QueueName } from "../../src/topology";
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

/** Claims up to `max` of a queue's waiting messages and runs them as one batch, as a worker or a Lambda would. */
export async function runQueueBatch(ctx: TestContext, queue: QueueName, max = 100) {
  const records = await ctx.deps.queue.claim(queue, max, 30);
  const result = await runBatch(records, messageHandler(ctx.deps), ctx.deps.log);
  await ctx.deps.queue.settle(records, result, QUEUES[queue].maxReceives);
  return { records, result };
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

/** How many SMS of each purpose each recipient got for an alert, keyed `purpose recipient`. */
export async function countsByRecipient(deps: Deps, alertId: string) {
  const counts = new Map<string, number>();
  for (const m of await smsFor(deps, alertId)) {
    const key = `${m.purpose} ${m.to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** A subject's mobile (138 0013 8000) as SMS rows record it, in E.164. */
export const SUBJECT = "+8613800138000";

let officerCount = 0;
/** An officer row; on duty at miaogong with a phone unless told otherwise. */
export async function anOfficer(
  ctx: TestContext,
  id: string,
  overrides: { postId?: string; phone?: string | null; onDuty?: boolean; disabledAt?: Date | null } = {},
) {
  officerCount += 1;
  const phone =
    overrides.phone === undefined
      ? `+861399900${String(2000 + officerCount).padStart(4, "0")}`
      : overrides.phone;
  await ctx.deps.db.insert(officers).values({
    id,
    stationId: ctx.fixture.ids.station,
    postId: overrides.postId ?? ctx.fixture.ids.miaogong,
    username: id,
    displayName: id,
    role: "officer",
    phoneEnc: phone ? ctx.deps.pii.encrypt(phone) : null,
    phoneHash: phone ? ctx.deps.pii.hash(phone) : null,
    onDuty: overrides.onDuty ?? true,
    disabledAt: overrides.disabledAt ?? null,
    passwordHash: "not-used",
  });
  return { id, phone };
}

/** ctx.drain, but consuming with the deps given (a different SMS channel) and optionally only some queues. */
export async function drainWith(deps: Deps, queues: readonly QueueName[] = QUEUE_NAMES): Promise<void> {
  const handle = messageHandler(deps);
  for (let round = 0; round < 50; round++) {
    let claimedAny = false;
    for (const queue of queues) {
      const records = await deps.queue.claim(queue, QUEUES[queue].batchSize, 30);
      if (records.length === 0) continue;
      claimedAny = true;
      const result = await runBatch(records, handle, deps.log);
      await deps.queue.settle(records, result, QUEUES[queue].maxReceives);
    }
    if (!claimedAny) return;
  }
  throw new Error("queues did not drain");
}

/** Drains repeatedly until `done` holds: failed jobs come back after a randomised backoff of up to a few seconds. */
export async function drainUntil(
  deps: Deps,
  done: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("condition not reached before the deadline");
    await drainWith(deps);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function jobsIn(deps: Deps, queue: QueueName) {
  return deps.db.select().from(jobs).where(eq(jobs.queue, queue));
}
