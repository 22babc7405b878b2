/**
 * `npm run bench:queue`: our PostgreSQL table queue (PgTableQueue + QueueWorker) against graphile-worker
 * 0.17 on the same PostgreSQL, each in its own throw-away database. Two measurements per system:
 *  - throughput: JOBS no-op jobs enqueued up front, then drained by a worker; jobs/s until the table is empty;
 *  - latency: single jobs enqueued at RATE/s for SECONDS from a separate connection while the worker sits
 *    idle and listening; latency = handler start − enqueue call (both clocks in this process).
 * The systems take turns in BENCH_ROUNDS rounds (default 4) for both, so load from anything else on a shared
 * machine is spread over all of them.
 * Needs DATABASE_URL (an admin-capable URL: it creates and drops af_bench_queue and af_bench_graphile).
 * Bounded: fixed job counts, every wait has a timeout, all traffic goes to the DATABASE_URL host.
 */
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import postgres from "postgres";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { createLog } from "../src/log";
import type { MessageHandler } from "../src/queue/batch";
import { PgTableQueue } from "../src/queue/pg-queue";
import { QueueWorker } from "../src/queue/worker";
import { QUEUES } from "../src/topology";
import { dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { loadAverage, machine } from "./support/machine";
import { fmt, summarize } from "./support/stats";
import { sleep, waitFor } from "./support/wait";

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Measurements alternate between the systems this many times (see System). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
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
interface Measured {
  throughput: Throughput;
  latency: Latency;
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

/**
 * One queue system under test. Measurements alternate between systems in rounds, so a burst of load from
 * something else on this shared machine falls on all of them rather than on whichever ran at that moment.
 */
interface System {
  name: string;
  settings: string;
  /** Enqueues `jobs` no-op jobs, then starts a worker and stops it once the jobs table is empty. */
  drain(jobs: number): Promise<Throughput>;
  /** Starts a worker that records when each job's handler starts, and a producer on its own connection. */
  startIdle(started: Map<number, number>): Promise<void>;
  enqueueOne(i: number): Promise<unknown>;
  close(): Promise<void>;
}

async function tableQueue(url: string): Promise<System> {
  const database = await openDatabase({ url, max: 10 });
  await migrateDatabase(database, url);
  const queue = new PgTableQueue(database);
  const message = (i: number) => ({ type: "alert.push" as const, v: 1 as const, alertId: String(i) });
  let idle: QueueWorker | undefined;
  let producerDb: Awaited<ReturnType<typeof openDatabase>> | undefined;
  let producer: PgTableQueue | undefined;
  return {
    name: "table queue (PgTableQueue + QueueWorker)",
    settings: `batchSize ${SPEC.batchSize} × ${SPEC.concurrency} loops, ${HANDLERS_IN_FLIGHT} handlers in flight, pool 10`,
    async drain(jobs) {
      let t = performance.now();
      for (let i = 0; i < jobs; i += 1000) {
        const chunk = Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({
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
      // The runtime's settings for this queue (src/topology.ts).
      const worker = new QueueWorker(queue, noop, log, { queue: QUEUE, spec: SPEC, visibilitySeconds: 30 });
      t = performance.now();
      await worker.start();
      await waitFor("table queue to handle every job", () => handled >= jobs, 120_000, 1);
      const handledMs = performance.now() - t;
      await waitUntilEmpty(url, "jobs", 30_000);
      const settledMs = performance.now() - t;
      await worker.stop();
      return { enqueueMs, handledMs, settledMs, jobsPerSecond: jobs / (settledMs / 1000) };
    },
    async startIdle(started) {
      const onStart: MessageHandler = async (m) => {
        if (m.type === "alert.push") started.set(Number(m.alertId), performance.now());
      };
      idle = new QueueWorker(queue, onStart, log, { queue: QUEUE, spec: SPEC, visibilitySeconds: 30 });
      await idle.start();
      // Jobs come from another connection and another queue object (another producer process, in effect), so
      // the only wake-up is PostgreSQL's NOTIFY, as for graphile-worker.
      producerDb = await openDatabase({ url, max: 4 });
      producer = new PgTableQueue(producerDb);
      await producer.publish([{ queue: QUEUE, message: message(-1) }]); // warm the producer's connection
    },
    enqueueOne: (i) => (producer as PgTableQueue).publish([{ queue: QUEUE, message: message(i) }]),
    async close() {
      await idle?.stop();
      await producerDb?.close();
      await database.close();
    },
  };
}

async function graphile(url: string, batched: boolean): Promise<System> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quietGraphileLog });
  await utils.migrate();
  const worker = batched
    ? { localQueue: { size: CLAIMED_AT_ONCE }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
    : {};
  const runnerOptions = {
    connectionString: url,
    concurrency: HANDLERS_IN_FLIGHT,
    maxPoolSize: 10,
    pollInterval: 1000,
    noHandleSignals: true,
    logger: quietGraphileLog,
    preset: { worker },
  };
  let idle: Awaited<ReturnType<typeof run>> | undefined;
  return {
    name: `graphile-worker, ${batched ? "batched" : "defaults"}`,
    settings: batched
      ? `concurrency ${HANDLERS_IN_FLIGHT}, localQueue.size ${CLAIMED_AT_ONCE}, completeJobBatchDelay 0, pool 10`
      : `concurrency ${HANDLERS_IN_FLIGHT}, no local queue, no completion batching (its defaults), pool 10`,
    async drain(jobs) {
      let t = performance.now();
      for (let i = 0; i < jobs; i += 1000) {
        await utils.addJobs(
          Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({
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
      await waitFor("graphile-worker to handle every job", () => handled >= jobs, 120_000, 1);
      const handledMs = performance.now() - t;
      await waitUntilEmpty(url, "graphile_worker._private_jobs", 30_000);
      const settledMs = performance.now() - t;
      await runner.stop();
      return { enqueueMs, handledMs, settledMs, jobsPerSecond: jobs / (settledMs / 1000) };
    },
    async startIdle(started) {
      idle = await run({
        ...runnerOptions,
        taskList: {
          noop: async (payload) => {
            started.set((payload as { i: number }).i, performance.now());
          },
        },
      });
      await utils.addJob("noop", { i: -1 }); // warm the producer's connection
    },
    enqueueOne: (i) => utils.addJob("noop", { i }),
    async close() {
      await idle?.stop();
      await utils.release();
    },
  };
}

function report(name: string, settings: string, r: Measured): void {
  const { throughput: tp, latency: l } = r;
  console.log(`\n${name}  (${settings})`);
  console.log(
    `  throughput  ${fmt(tp.jobsPerSecond)} jobs/s  (${fmt(JOBS)} jobs in ${ROUNDS} rounds: enqueue ${fmt(tp.enqueueMs)} ms, all handlers ran after ${fmt(tp.handledMs)} ms, table empty after ${fmt(tp.settledMs)} ms)`,
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

const systems = [
  await tableQueue(await recreateDatabase(adminUrl, "af_bench_queue")),
  await graphile(await recreateDatabase(adminUrl, "af_bench_graphile"), true),
  await graphile(await recreateDatabase(adminUrl, "af_bench_graphile2"), false),
];
const results = systems.map(() => ({
  throughput: { enqueueMs: 0, handledMs: 0, settledMs: 0, jobsPerSecond: 0 },
  enqueuedAt: new Map<number, number>(),
  startedAt: new Map<number, number>(),
}));

// Throughput: ROUNDS rounds, each system draining JOBS / ROUNDS in turn; figures add up over the rounds.
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, system] of systems.entries()) {
    const r = await system.drain(JOBS / ROUNDS);
    const total = (results[k] as (typeof results)[number]).throughput;
    total.enqueueMs += r.enqueueMs;
    total.handledMs += r.handledMs;
    total.settledMs += r.settledMs;
  }
}
for (const r of results) r.throughput.jobsPerSecond = JOBS / (r.throughput.settledMs / 1000);

// Latency: all three workers idle and listening at once; each system gets RATE/s for SECONDS / ROUNDS in turn.
for (const [k, system] of systems.entries())
  await system.startIdle((results[k] as (typeof results)[number]).startedAt);
await sleep(500);
for (const r of results) r.startedAt.clear();
let id = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, system] of systems.entries()) {
    const { enqueuedAt } = results[k] as (typeof results)[number];
    await paced((RATE * SECONDS) / ROUNDS, RATE, () => {
      const i = id++;
      enqueuedAt.set(i, performance.now());
      return system.enqueueOne(i);
    });
    await sleep(100);
  }
}
await waitFor(
  "every job to start",
  () => results.every((r) => r.startedAt.size >= r.enqueuedAt.size),
  10_000,
  5,
).catch(() => {});
for (const system of systems) await system.close();

const [ours, graphileBatched, graphileDefault] = systems.map((system, k) => {
  const r = results[k] as (typeof results)[number];
  const out = { throughput: r.throughput, latency: latencyOf(r.enqueuedAt, r.startedAt) };
  report(system.name, system.settings, out);
  return out;
}) as [Measured, Measured, Measured];

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
await dropDatabase(adminUrl, "af_bench_graphile2");
console.log(`\ndone in ${fmt((performance.now() - started) / 1000, 1)} s`);
