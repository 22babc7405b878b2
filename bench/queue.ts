/**
 * `npm run bench:queue`: our PostgreSQL table queue (PgTableQueue + QueueWorker) against graphile-worker
 * 0.17 on the same PostgreSQL, each in its own throw-away database. Two measurements per system:
 *  - throughput: JOBS no-op jobs enqueued up front, then drained by a worker; jobs/s until the table is empty;
 *  - latency: single jobs enqueued at RATE/s for SECONDS from a separate connection while the worker sits
 *    idle and listening; latency = handler start − enqueue call (both clocks in this process).
 * Needs DATABASE_URL (an admin-capable URL: it creates and drops af_bench_queue and af_bench_graphile).
 * Bounded: fixed job counts, every wait has a timeout, all traffic goes to the DATABASE_URL host.
 */
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import postgres from "postgres";
import { openDatabase } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { createLog } from "../src/log";
import type { MessageHandler } from "../src/queue/batch";
import { PgTableQueue } from "../src/queue/pg-queue";
import { QueueWorker } from "../src/queue/worker";
import { QUEUES } from "../src/topology";
import {
  dropDatabase,
  fmt,
  loadAverage,
  machine,
  postgresVersion,
  recreateDatabase,
  sleep,
  summarize,
  waitFor,
} from "./support";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const QUEUE = "alert-push" as const;
const SPEC = QUEUES[QUEUE];
/** runBatch runs up to 8 handlers of a batch at once; the worker runs `concurrency` batches at once. */
const HANDLERS_IN_FLIGHT = Math.min(SPEC.batchSize, 8) * SPEC.concurrency;
/** Jobs one claim round locks across the worker's loops: graphile's local queue gets the same. */
const CLAIMED_AT_ONCE = SPEC.batchSize * SPEC.concurrency;

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  console.error("bench:queue needs DATABASE_URL (PostgreSQL); graphile-worker does not run on PGlite.");
  process.exit(1);
}

interface Throughput {
  enqueueMs: number;
  handledMs: number;
  settledMs: number;
  jobsPerSecond: number;
}
interface Latency {
  n: number;
  lost: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const quietGraphileLog = new Logger(() => () => {});
const log = createLog("warn");

/** Counts rows until none is left, on its own connection so the worker's pool is not involved. */
async function waitUntilEmpty(url: string, table: string, timeoutMs: number): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await waitFor(
      `${table} to empty`,
      async () => {
        const [row] = await client.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
        return row?.n === 0;
      },
      timeoutMs,
      5,
    );
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Fires `count` enqueues at a steady rate without waiting for each, as independent producers would. */
async function paced(count: number, perSecond: number, enqueue: (i: number) => Promise<unknown>) {
  const pending: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(enqueue(i));
  }
  await Promise.all(pending);
}

function latencyOf(enqueuedAt: Map<number, number>, startedAt: Map<number, number>): Latency {
  const samples: number[] = [];
  for (const [i, t] of enqueuedAt) {
    const s = startedAt.get(i);
    if (s !== undefined) samples.push(s - t);
  }
  const { n, p50, p95, p99, max } = summarize(samples);
  return { n, lost: enqueuedAt.size - n, p50, p95, p99, max };
}

async function tableQueue(url: string): Promise<{ throughput: Throughput; latency: Latency }> {
  const database = await openDatabase({ url, max: 10 });
  await migrateDatabase(database, url);
  const queue = new PgTableQueue(database);
  const message = (i: number) => ({ type: "alert.push" as const, v: 1 as const, alertId: String(i) });

  // Throughput: enqueue everything, then let one worker (the runtime's settings for this queue) drain it.
  let t = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
      queue: QUEUE,
      message: message(i + k),
    }));
    await queue.publish(chunk);
  }
  const enqueueMs = performance.now() - t;
  let handled = 0;
  const noop: MessageHandler = async () => {
    handled++;
  };
  const worker = new QueueWorker(queue, noop, log, { queue: QUEUE, spec: SPEC, visibilitySeconds: 30 });
  t = performance.now();
  await worker.start();
  await waitFor("table queue to handle every job", () => handled >= JOBS, 120_000, 1);
  const handledMs = performance.now() - t;
  await waitUntilEmpty(url, "jobs", 30_000);
  const settledMs = performance.now() - t;
  await worker.stop();

  // Latency: an idle worker listening; jobs come from another connection (another producer process, in effect),
  // so the only wake-up is PostgreSQL's NOTIFY, as for graphile-worker.
  const enqueuedAt = new Map<number, number>();
  const startedAt = new Map<number, number>();
  const onStart: MessageHandler = async (m) => {
    if (m.type === "alert.push") startedAt.set(Number(m.alertId), performance.now());
  };
  const idle = new QueueWorker(queue, onStart, log, { queue: QUEUE, spec: SPEC, visibilitySeconds: 30 });
  await idle.start();
  const producerDb = await openDatabase({ url, max: 4 });
  const producer = new PgTableQueue(producerDb);
  await producer.publish([{ queue: QUEUE, message: message(-1) }]); // warm the producer's connection
  await sleep(500);
  startedAt.clear();
  await paced(RATE * SECONDS, RATE, (i) => {
    enqueuedAt.set(i, performance.now());
    return producer.publish([{ queue: QUEUE, message: message(i) }]);
  });
  await waitFor("table queue to start every job", () => startedAt.size >= enqueuedAt.size, 10_000, 5).catch(
    () => {},
  );
  await idle.stop();
  await producerDb.close();
  await database.close();
  return {
    throughput: { enqueueMs, handledMs, settledMs, jobsPerSecond: JOBS / (settledMs / 1000) },
    latency: latencyOf(enqueuedAt, startedAt),
  };
}

async function graphile(
  url: string,
  batched: boolean,
): Promise<{ throughput: Throughput; latency: Latency; settings: string }> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quietGraphileLog });
  await utils.migrate();
  const worker = batched
    ? { localQueue: { size: CLAIMED_AT_ONCE }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
    : {};
  const settings = batched
    ? `concurrency ${HANDLERS_IN_FLIGHT}, localQueue.size ${CLAIMED_AT_ONCE}, completeJobBatchDelay 0`
    : `concurrency ${HANDLERS_IN_FLIGHT}, no local queue, no completion batching (defaults)`;
  const runnerOptions = {
    connectionString: url,
    concurrency: HANDLERS_IN_FLIGHT,
    maxPoolSize: 10,
    pollInterval: 1000,
    noHandleSignals: true,
    logger: quietGraphileLog,
    preset: { worker },
  };

  let t = performance.now();
  for (let i = 0; i < JOBS; i += 1000) {
    await utils.addJobs(
      Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
        identifier: "noop",
        payload: { i: i + k },
      })),
    );
  }
  const enqueueMs = performance.now() - t;
  let handled = 0;
  t = performance.now();
  const runner = await run({
    ...runnerOptions,
    taskList: {
      noop: async () => {
        handled++;
      },
    },
  });
  await waitFor("graphile-worker to handle every job", () => handled >= JOBS, 120_000, 1);
  const handledMs = performance.now() - t;
  await waitUntilEmpty(url, "graphile_worker._private_jobs", 30_000);
  const settledMs = performance.now() - t;
  await runner.stop();

  const enqueuedAt = new Map<number, number>();
  const startedAt = new Map<number, number>();
  const idle = await run({
    ...runnerOptions,
    taskList: {
      noop: async (payload) => {
        startedAt.set((payload as { i: number }).i, performance.now());
      },
    },
  });
  await utils.addJob("noop", { i: -1 }); // warm the producer's connection
  await sleep(500);
  startedAt.clear();
  await paced(RATE * SECONDS, RATE, (i) => {
    enqueuedAt.set(i, performance.now());
    return utils.addJob("noop", { i });
  });
  await waitFor(
    "graphile-worker to start every job",
    () => startedAt.size >= enqueuedAt.size,
    10_000,
    5,
  ).catch(() => {});
  await idle.stop();
  await utils.release();
  return {
    throughput: { enqueueMs, handledMs, settledMs, jobsPerSecond: JOBS / (settledMs / 1000) },
    latency: latencyOf(enqueuedAt, startedAt),
    settings,
  };
}

function report(name: string, settings: string, r: { throughput: Throughput; latency: Latency }): void {
  const { throughput: tp, latency: l } = r;
  console.log(`\n${name}  (${settings})`);
  console.log(
    `  throughput  ${fmt(tp.jobsPerSecond)} jobs/s  (${fmt(JOBS)} jobs: enqueue ${fmt(tp.enqueueMs)} ms, all handlers ran after ${fmt(tp.handledMs)} ms, table empty after ${fmt(tp.settledMs)} ms)`,
  );
  console.log(
    `  latency     p50 ${fmt(l.p50, 1)} ms  p95 ${fmt(l.p95, 1)} ms  p99 ${fmt(l.p99, 1)} ms  max ${fmt(l.max, 1)} ms  (${fmt(l.n)} jobs at ${RATE}/s${l.lost ? `, ${l.lost} NOT STARTED within 10 s` : ""})`,
  );
}

const started = performance.now();
console.log("bench:queue — table queue vs graphile-worker 0.17.3");
console.log(`machine   ${machine()}`);
console.log(`database  ${await postgresVersion(adminUrl)} at ${new URL(adminUrl).host}`);
console.log(`date      ${new Date().toISOString()}`);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);

const ours = await tableQueue(await recreateDatabase(adminUrl, "af_bench_queue"));
const graphileBatched = await graphile(await recreateDatabase(adminUrl, "af_bench_graphile"), true);
const graphileDefault = await graphile(await recreateDatabase(adminUrl, "af_bench_graphile"), false);

report(
  "table queue (PgTableQueue + QueueWorker)",
  `batchSize ${SPEC.batchSize} × ${SPEC.concurrency} loops, ${HANDLERS_IN_FLIGHT} handlers in flight, pool 10`,
  ours,
);
report("graphile-worker, batched", `${graphileBatched.settings}, pool 10`, graphileBatched);
report("graphile-worker, defaults", `${graphileDefault.settings}, pool 10`, graphileDefault);

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
console.log("\nratios (table queue ÷ graphile-worker batched / defaults)");
console.log(
  `  throughput  ${ratio(ours.throughput.jobsPerSecond, graphileBatched.throughput.jobsPerSecond)} / ${ratio(ours.throughput.jobsPerSecond, graphileDefault.throughput.jobsPerSecond)}   (target ≥ 1)`,
);
console.log(
  `  p50 latency ${ratio(ours.latency.p50, graphileBatched.latency.p50)} / ${ratio(ours.latency.p50, graphileDefault.latency.p50)}   (target ≤ 1)`,
);
console.log(
  `  p99 latency ${ratio(ours.latency.p99, graphileBatched.latency.p99)} / ${ratio(ours.latency.p99, graphileDefault.latency.p99)}`,
);

console.log(`\nload avg  ${loadAverage()} (1/5/15 min) at end`);
await dropDatabase(adminUrl, "af_bench_queue");
await dropDatabase(adminUrl, "af_bench_graphile");
console.log(`\ndone in ${fmt((performance.now() - started) / 1000, 1)} s`);
