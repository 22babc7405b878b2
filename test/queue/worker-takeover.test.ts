import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox, jobs, queueWorkers, smsEvents, smsMessages } from "../../schema";
import { pushAlert } from "../../src/alerts/push";
import { loadConfig } from "../../src/config";
import { startWorkers } from "../../src/local/workers";
import { createLog } from "../../src/log";
import { PgTableQueue } from "../../src/queue/pg-queue";
import { WorkerRegistry } from "../../src/queue/worker-registry";
import type { SmsChannel, SmsSendRequest } from "../../src/sms/channels/channel";
import { sendSmsBatch } from "../../src/sms/dispatch/send";
import { aSubjectPhone } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

const log = createLog("silent");

/**
 * The police SMS channel, shared by the process that dies and the one that takes over (the engine caches
 * channels per database). While `dying`, a send never returns: the process is killed in the middle of it,
 * before the provider answered (`accepted: false`) or after it accepted the SMS (`accepted: true`).
 */
class CrashableChannel implements SmsChannel {
  readonly name: string;
  readonly dedupesByMessageId: boolean | undefined;
  readonly lookup: SmsChannel["lookup"];
  dying: { accepted: boolean } | undefined;
  /** Sends begun: a process is "in the middle of" a send only once it has called send(). */
  readonly started: string[] = [];
  readonly sent: string[] = [];

  constructor(
    private readonly real: SmsChannel,
    options: { dedupes?: boolean; lookup?: boolean } = {},
  ) {
    this.name = real.name;
    this.dedupesByMessageId = options.dedupes ?? real.dedupesByMessageId;
    this.lookup = options.lookup === false ? undefined : real.lookup?.bind(real);
  }

  async send(request: SmsSendRequest) {
    this.started.push(request.messageId);
    if (this.dying && !this.dying.accepted) return new Promise<never>(() => {});
    const result = await this.real.send(request);
    this.sent.push(request.messageId);
    if (this.dying) return new Promise<never>(() => {});
    return result;
  }
}

/** A warning taken in and pushed: its victim warning SMS is queued with its send job on sms-urgent. */
async function aQueuedVictimWarning(ctx: TestContext): Promise<string> {
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject: { phone: aSubjectPhone() } })] });
  const { results } = (await res.json()) as { results: { alertId: string }[] };
  const alertId = results[0]?.alertId as string;
  await pushAlert(ctx.deps, alertId, log);
  const [message] = await ctx.deps.db
    .select({ id: smsMessages.id })
    .from(smsMessages)
    .where(and(eq(smsMessages.alertId, alertId), eq(smsMessages.purpose, "victim_warning")));
  return message?.id as string;
}

/**
 * A worker process that registers, claims the urgent SMS jobs, starts sending them through `channel` and
 * dies there: its heartbeat stops (it never beats again) and nothing it holds is released.
 */
async function aProcessThatDiesMidSend(ctx: TestContext, channel: CrashableChannel, accepted: boolean) {
  const queue = new PgTableQueue(ctx.deps.database);
  const registry = new WorkerRegistry(ctx.deps.database, queue, log, {
    heartbeatSeconds: 3600,
    staleAfterSeconds: 3600,
  });
  await registry.start();
  const claimed = await queue.claim("sms-urgent", 25, 30);
  channel.dying = { accepted };
  const ids = claimed.map((r) => (r.body as { messageId: string }).messageId);
  void sendSmsBatch(
    { ...ctx.deps, queue, sms: channel },
    ids.map((messageId) => ({ messageId, log })),
  );
  // Until the lease is taken and the send begun (and, if it gets that far, the provider has the SMS), the
  // process is alive. Waiting for the lease alone let a slow process call send() after `dying` was cleared.
  await waitFor(async () => {
    const held = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.leaseHolder, registry.id));
    return (
      held.length === ids.length &&
      channel.started.length === ids.length &&
      (!accepted || channel.sent.length === ids.length)
    );
  }, 10_000);
  channel.dying = undefined;
  channel.started.length = 0;
  channel.sent.length = 0;
  return { id: registry.id, claimed: claimed.length };
}

/** The heartbeat of `workerId` as if it last beat `seconds` ago. */
async function lastBeat(ctx: TestContext, workerId: string, seconds: number) {
  await ctx.deps.db.execute(
    sql`update queue_workers set heartbeat_at = now() - make_interval(secs => ${seconds}) where id = ${workerId}`,
  );
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function statusOf(ctx: TestContext, messageId: string) {
  const [row] = await ctx.deps.db
    .select({ status: smsMessages.status })
    .from(smsMessages)
    .where(eq(smsMessages.id, messageId));
  return row?.status;
}

async function outboxCopies(ctx: TestContext, messageId: string): Promise<number> {
  return (await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, messageId))).length;
}

/** A worker process started after the crash, as `npm start` would: registry, then the urgent SMS worker. */
async function aNewWorkerProcess(ctx: TestContext, channel: SmsChannel, env: Record<string, string> = {}) {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    OUTBOX_RECEIPT_DELAY_MS: "-1",
    ...env,
  });
  const deps = { ...ctx.deps, config, queue: new PgTableQueue(ctx.deps.database), sms: channel };
  return startWorkers(deps, ["sms-urgent"]);
}

describe("a worker process that died holding a victim warning", () => {
  it.each([
    ["before the provider had it", false],
    ["after the provider accepted it", true],
  ])(
    "is taken over by the next worker process at start, and the person gets exactly one SMS (died %s)",
    async (_, accepted) => {
      const ctx = await createTestContext();
      const channel = new CrashableChannel(ctx.deps.sms);
      const messageId = await aQueuedVictimWarning(ctx);
      const dead = await aProcessThatDiesMidSend(ctx, channel, accepted);
      await lastBeat(ctx, dead.id, 60);

      const started = performance.now();
      const next = await aNewWorkerProcess(ctx, channel);
      try {
        expect(await waitFor(async () => (await statusOf(ctx, messageId)) === "submitted", 10_000)).toBe(
          true,
        );
        expect(performance.now() - started).toBeLessThan(10_000);
      } finally {
        await next.stop();
      }

      expect(await outboxCopies(ctx, messageId)).toBe(1);
      const history = await ctx.deps.db
        .select({ status: smsEvents.status, detail: smsEvents.detail })
        .from(smsEvents)
        .where(eq(smsEvents.messageId, messageId))
        .orderBy(smsEvents.id);
      expect(history.map((h) => h.status)).toEqual(["queued", "queued", "submitted"]);
      expect(history[1]?.detail).toMatch(/sender stopped/);
      expect(await ctx.deps.db.select().from(queueWorkers)).toEqual([]);
    },
  );

  it("is taken over by a surviving worker within the heartbeat bound once the dead one goes quiet", async () => {
    const ctx = await createTestContext();
    const channel = new CrashableChannel(ctx.deps.sms);
    const messageId = await aQueuedVictimWarning(ctx);
    const dead = await aProcessThatDiesMidSend(ctx, channel, false);
    const diedAt = performance.now();

    // Started while the dead process's last heartbeat is still fresh: it must notice the silence itself.
    // Scaled-down intervals (beat every 0.2 s, dead after 0.6 s of silence) stand for the defaults (2 s, 6 s).
    const survivor = await aNewWorkerProcess(ctx, channel, {
      WORKER_HEARTBEAT_SECONDS: "0.2",
      WORKER_STALE_AFTER_SECONDS: "0.6",
    });
    try {
      expect(await waitFor(async () => (await statusOf(ctx, messageId)) === "submitted", 5_000)).toBe(true);
      // Silent for 0.6 s, noticed at the next beat, then sent: well inside three seconds (the lease alone would hold it 60 s).
      expect(performance.now() - diedAt).toBeLessThan(3_000);
    } finally {
      await survivor.stop();
    }
    expect(dead.claimed).toBeGreaterThan(0);
    expect(await outboxCopies(ctx, messageId)).toBe(1);
  });

  it("is recorded as submitted, not sent again, on a channel that can neither de-duplicate nor be asked", async () => {
    const ctx = await createTestContext();
    const channel = new CrashableChannel(ctx.deps.sms, { dedupes: false, lookup: false });
    const messageId = await aQueuedVictimWarning(ctx);
    const dead = await aProcessThatDiesMidSend(ctx, channel, true);
    await lastBeat(ctx, dead.id, 60);

    const next = await aNewWorkerProcess(ctx, channel);
    try {
      expect(await waitFor(async () => (await statusOf(ctx, messageId)) === "submitted", 10_000)).toBe(true);
    } finally {
      await next.stop();
    }

    expect(channel.sent).not.toContain(messageId);
    expect(await outboxCopies(ctx, messageId)).toBe(1);
  });
});

describe("WorkerRegistry", () => {
  it("leaves the jobs of a worker that is still beating alone", async () => {
    const ctx = await createTestContext();
    await aQueuedVictimWarning(ctx);
    const liveQueue = new PgTableQueue(ctx.deps.database);
    const live = new WorkerRegistry(ctx.deps.database, liveQueue, log, {
      heartbeatSeconds: 3600,
      staleAfterSeconds: 6,
    });
    await live.start();
    const claimed = await liveQueue.claim("sms-urgent", 25, 30);
    const other = new WorkerRegistry(ctx.deps.database, new PgTableQueue(ctx.deps.database), log, {
      heartbeatSeconds: 3600,
      staleAfterSeconds: 6,
    });
    await other.start();

    const taken = await other.takeOver();

    expect(taken).toEqual({ workers: [], jobs: 0, sms: 0 });
    const held = await ctx.deps.db.select().from(jobs).where(eq(jobs.claimedBy, live.id));
    expect(held).toHaveLength(claimed.length);
    await other.stop();
    await live.stop();
  });

  it("deregisters on a clean stop and hands back anything it still held", async () => {
    const ctx = await createTestContext();
    await aQueuedVictimWarning(ctx);
    const queue = new PgTableQueue(ctx.deps.database);
    const registry = new WorkerRegistry(ctx.deps.database, queue, log, {
      heartbeatSeconds: 3600,
      staleAfterSeconds: 6,
    });
    await registry.start();
    const claimed = await queue.claim("sms-urgent", 25, 30);
    expect(claimed.length).toBeGreaterThan(0);

    await registry.stop();

    expect(await ctx.deps.db.select().from(queueWorkers)).toEqual([]);
    expect(await new PgTableQueue(ctx.deps.database).claim("sms-urgent", 25, 30)).toHaveLength(
      claimed.length,
    );
  });

  it("has production settings that resume victim warnings within 10 s of a crash", () => {
    const config = loadConfig({});
    // Dead once silent for the stale time, noticed at a survivor's next beat.
    expect(config.WORKER_STALE_AFTER_SECONDS + config.WORKER_HEARTBEAT_SECONDS).toBeLessThanOrEqual(8);
    // About three missed beats: one late beat (a busy pool) does not make a live worker look dead.
    expect(config.WORKER_STALE_AFTER_SECONDS / config.WORKER_HEARTBEAT_SECONDS).toBeGreaterThanOrEqual(3);
  });
});
