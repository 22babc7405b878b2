import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { createLog } from "../../src/log";
import type { MessageHandler } from "../../src/queue/batch";
import { transact } from "../../src/queue/outbox";
import { PgTableQueue } from "../../src/queue/pg-queue";
import type { Outgoing } from "../../src/queue/port";
import { QueueWorker } from "../../src/queue/worker";
import { QUEUES } from "../../src/topology";
import { freshDatabase } from "../support/db";

const push = (n: number, delaySeconds?: number): Outgoing => ({
  queue: "alert-push",
  message: { type: "alert.push", v: 1, alertId: `alr_${n}`, traceId: `req_${n}` },
  ...(delaySeconds ? { delaySeconds } : {}),
});
const log = createLog("silent");

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe("PgTableQueue", () => {
  it("delivers published messages to their queue only, and hides a delayed one until its time", async () => {
    const { database } = await freshDatabase();
    const queue = new PgTableQueue(database);

    await queue.publish([
      push(1),
      push(2, 60),
      push(3),
      { queue: "sms-urgent", message: { type: "sms.send", v: 1, messageId: "msg_1" } },
    ]);

    const claimed = await queue.claim("alert-push", 10, 30);
    expect(claimed.map((r) => r.body)).toEqual([push(1).message, push(3).message]);
    expect(claimed.every((r) => r.receiveCount === 1)).toBe(true);
    expect((await queue.claim("sms-urgent", 10, 30)).map((r) => r.body)).toEqual([
      { type: "sms.send", v: 1, messageId: "msg_1" },
    ]);
    expect(await queue.claim("alert-push", 10, 30)).toEqual([]);
    const [delayed] = await queryRows<{ secs: number }>(
      database.db,
      sql`select extract(epoch from visible_at - now())::float8 as secs from jobs where payload->>'alertId' = 'alr_2'`,
    );
    expect(Number(delayed?.secs)).toBeGreaterThan(55);
  });

  it("handles a prompt message inside the publishing transaction: what it publishes commits with it or not at all", async () => {
    const { database } = await freshDatabase();
    const queue = new PgTableQueue(database);
    const seen: string[] = [];
    queue.handlePrompt = async (tx, message, publish) => {
      // Proof that it runs in the caller's transaction: it sees the push that transaction has not committed yet.
      const own = message.alertId === "alr_ok" ? "alr_1" : "alr_2";
      const [mine] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from jobs where payload->>'alertId' = ${own}`,
      );
      seen.push(`${message.alertId}:${mine?.n}`);
      if (message.alertId === "alr_bad") throw new Error("cannot create feedback");
      publish({
        queue: "feedback",
        message: { type: "feedback.deliver", v: 1, eventId: `fbk_${message.alertId}` },
      });
    };
    const create = (alertId: string): Outgoing => ({
      queue: "feedback",
      message: { type: "feedback.create", v: 1, alertId },
    });

    await database.db.transaction(async (tx) => {
      await queue.publish([push(1)], tx);
      await queue.publish([create("alr_ok")], tx);
    });
    await expect(
      database.db.transaction(async (tx) => {
        await queue.publish([push(2)], tx);
        await queue.publish([create("alr_bad")], tx);
      }),
    ).rejects.toThrow("cannot create feedback");

    expect(seen).toEqual(["alr_ok:1", "alr_bad:1"]);
    expect((await queue.claim("feedback", 10, 30)).map((r) => r.body)).toEqual([
      { type: "feedback.deliver", v: 1, eventId: "fbk_alr_ok" },
    ]);
    expect((await queue.claim("alert-push", 10, 30)).map((r) => r.body)).toEqual([push(1).message]);
  });

  it("deletes handled jobs on settle, retries failed ones later, and dead-letters after maxReceives", async () => {
    const { database } = await freshDatabase();
    const queue = new PgTableQueue(database);
    await queue.publish([push(1), push(2), push(3)]);
    const claimed = await queue.claim("alert-push", 10, 30);
    const [ok, retry, dead] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];

    await queue.settle(
      [ok, retry, { ...dead, receiveCount: 3 }],
      {
        failed: [
          { id: retry.id, error: "flaky" },
          { id: dead.id, error: "broken" },
        ],
      },
      3,
    );

    const left = await queryRows<{ id: string | number; last_error: string }>(
      database.db,
      sql`select id, last_error from jobs`,
    );
    expect(left.map((r) => [String(r.id), r.last_error])).toEqual([[retry.id, "flaky"]]);
    const deadJobs = await queryRows<{ payload: unknown; last_error: string }>(
      database.db,
      sql`select payload, last_error from dead_jobs`,
    );
    expect(deadJobs).toEqual([{ payload: dead.body, last_error: "broken" }]);
  });
});

describe("QueueWorker", () => {
  it("wakes every idle loop on a publish from another process, so a slow job does not hold up the next", async () => {
    const { database } = await freshDatabase();
    const consumerSide = new PgTableQueue(database);
    // A second queue object has its own in-process wake-ups: the worker hears about its jobs only via NOTIFY.
    const producerSide = new PgTableQueue(database);
    const started: string[] = [];
    let releaseFirst: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const handle: MessageHandler = async (message) => {
      if (message.type !== "alert.push") return;
      started.push(message.alertId);
      if (message.alertId === "alr_1") await firstHeld;
    };
    const worker = new QueueWorker(consumerSide, handle, log, {
      queue: "alert-push",
      spec: { ...QUEUES["alert-push"], batchSize: 1, concurrency: 2 },
      visibilitySeconds: 30,
      // Far longer than the test waits: only a wake-up can start the jobs in time.
      pollMs: 60_000,
    });
    await worker.start();
    await new Promise((r) => setTimeout(r, 100)); // both loops find nothing and go to sleep

    try {
      await producerSide.publish([push(1)]);
      expect(await waitUntil(() => started.includes("alr_1"), 5_000)).toBe(true);
      // One loop is busy with alr_1; the other must still answer the next wake-up.
      await producerSide.publish([push(2)]);
      expect(await waitUntil(() => started.includes("alr_2"), 5_000)).toBe(true);
    } finally {
      releaseFirst();
      await worker.stop();
    }
    // Handled jobs are deleted with the loop's next claim, or when it stops: none is left to come back.
    expect(await queryRows(database.db, sql`select id from jobs`)).toEqual([]);
  });

  it("wakes a worker of another process for jobs published inside a transaction, once it has committed", async () => {
    const { database } = await freshDatabase();
    const consumerSide = new PgTableQueue(database);
    const producerSide = new PgTableQueue(database);
    const started: string[] = [];
    const worker = new QueueWorker(
      consumerSide,
      async (message) => {
        if (message.type === "alert.push") started.push(message.alertId);
      },
      log,
      {
        queue: "alert-push",
        spec: { ...QUEUES["alert-push"], batchSize: 1, concurrency: 1 },
        visibilitySeconds: 30,
        // Only the NOTIFY sent after the commit can start the job in time.
        pollMs: 60_000,
      },
    );
    await worker.start();
    await new Promise((r) => setTimeout(r, 100));

    try {
      await transact({ db: database.db, queue: producerSide }, async (_tx, publish) => publish(push(1)));
      expect(await waitUntil(() => started.includes("alr_1"), 5_000)).toBe(true);
    } finally {
      await worker.stop();
    }
  });

  it("tells a handler that is waiting on purpose that the runtime is stopping, so stop() does not wait it out", async () => {
    const { database } = await freshDatabase();
    const queue = new PgTableQueue(database);
    let started = false;
    let sawStop = false;
    const worker = new QueueWorker(
      queue,
      async (_message, ctx) => {
        started = true;
        // As the paced release does between its batches: a minute unless told to stop.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 60_000);
          ctx.signal?.addEventListener("abort", () => {
            sawStop = true;
            clearTimeout(timer);
            resolve();
          });
        });
      },
      log,
      {
        queue: "alert-push",
        spec: { ...QUEUES["alert-push"], batchSize: 1, concurrency: 1 },
        visibilitySeconds: 30,
      },
    );
    await worker.start();
    await queue.publish([push(1)]);
    expect(await waitUntil(() => started, 5_000)).toBe(true);

    const stopping = performance.now();
    await worker.stop();

    expect(sawStop).toBe(true);
    expect(performance.now() - stopping).toBeLessThan(5_000);
  });

  it("deletes the jobs a loop has handled in the same statement as its next claim", async () => {
    const { database } = await freshDatabase();
    const queue = new PgTableQueue(database);
    await queue.publish([push(1), push(2)]);
    const [first] = await queue.claim("alert-push", 1, 30);

    const [second] = await queue.claim("alert-push", 1, 30, [first?.id as string]);

    expect(second?.body).toEqual(push(2).message);
    const left = await queryRows<{ id: string | number }>(database.db, sql`select id from jobs`);
    expect(left.map((r) => String(r.id))).toEqual([second?.id]);
  });
});
