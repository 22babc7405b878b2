/**
 * `npm run bench:queue`: our PostgreSQL table queue (PgTableQueue + QueueWorker) against graphile-worker
 * 0.17 on the same PostgreSQL, each in its own throw-away database. Two measurements per system:
 *  - throughput: a backlog of no-op jobs enqueued up front, then drained by a freshly started worker; jobs/s
 *    = jobs ÷ time from worker start until the jobs table is empty. Each round is sized to drain in about
 *    BENCH_ROUND_SECONDS (default 20) per system, from a calibration drain: with a few thousand jobs a drain
 *    takes a fraction of a second and worker start-up and the first poll decide the figure, so a difference of
 *    a few percent could not be told from noise. BENCH_ROUNDS rounds (default 3), the systems taking turns
 *    (the order rotates each round); every ratio is reported per round, then as median and min–max.
 *  - latency: single jobs enqueued at RATE/s for SECONDS from a separate connection while the worker sits
 *    idle and listening; latency = handler start − enqueue call (both clocks in this process).
 * BENCH_VACUUM=1 vacuums each jobs table before each round (see VACUUM).
 * Needs DATABASE_URL (an admin-capable URL: it creates and drops af_bench_queue, af_bench_graphile and
 * af_bench_graphile2, each with BENCH_DB_SUFFIX appended).
 * Bounded: job counts fixed after calibration, every wait has a timeout, all traffic goes to the DATABASE_URL host.
 */
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { connectPostgres } from "../src/db/postgres";
import { createLog } from "../src/log";
import type { MessageHandler } from "../src/queue/batch";
import { PgTableQueue } from "../src/queue/pg-queue";
import { QueueWorker } from "../src/queue/worker";
import { QUEUES } from "../src/topology";
import { benchDatabase, dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { loadAverage, machine } from "./support/machine";
import { fmt, summarize } from "./support/stats";
import { sleep, waitFor } from "./support/wait";

/** How long one system's drain in one round should take: long enough that worker start-up is noise. */
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 20);
/** A fixed number of jobs per round for every system instead of sizing rounds by calibration. */
const FIXED_JOBS = process.env.BENCH_JOBS ? Number(process.env.BENCH_JOBS) : undefined;
/** The calibration drain, which also warms each system up; its figure is printed but not counted. */
const CALIBRATION_JOBS = Number(process.env.BENCH_CALIBRATION_JOBS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Measurements alternate between the systems this many times (see System). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * BENCH_VACUUM=1: VACUUM each system's jobs table before each of its rounds (outside the timing). Draining a
 * backlog leaves two dead row versions per job (claim, delete) that autovacuum may not have cleared by the next
 * round on a busy machine; with this, every round starts from a clean table.
 */
const VACUUM = process.env.BENCH_VACUUM === "1";
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

/** A drain far slower than the calibration said (at least 200 jobs/s) is a failure, not a figure. */
const drainTimeoutMs = (jobs: number) => Math.max(120_000, (jobs / 200) * 1000);

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

/**
 * Polls until the table has no row left, on its own connection so the worker's pool is not involved. Only
 * called once every handler has run, so it waits for the last batch's delete, not for the backlog.
 */
async function waitUntilEmpty(url: string, table: string, timeoutMs: number): Promise<void> {
  const client = connectPostgres(url, { max: 1, onnotice: () => {} });
  try {
    await waitFor(
      `${table} to empty`,
      async () => {
        const [row] = await client.unsafe<{ empty: boolean }[]>(
          `select not exists (select 1 from ${table}) as empty`,
        );
        return row?.empty === true;
      },
      timeoutMs,
      5,
    );
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function vacuum(url: string, table: string): Promise<void> {
  const client = connectPostgres(url, { max: 1, onnotice: () => {} });
  try {
    await client.unsafe(`vacuum analyze ${table}`);
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
  /** The table its jobs live in, for BENCH_VACUUM. */
  table: string;
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
    table: "jobs",
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
      await waitFor("table queue to handle every job", () => handled >= jobs, drainTimeoutMs(jobs), 1);
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
    table: "graphile_worker._private_jobs",
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
      await waitFor("graphile-worker to handle every job", () => handled >= jobs, drainTimeoutMs(jobs), 1);
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

/** Median and extremes of per-round figures: the spread says how far one round's figure can be trusted. */
function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

const x = (n: number) => `${n.toFixed(2)}×`;

const started = performance.now();
console.log("bench:queue — table queue vs graphile-worker 0.17.3");
console.log(`machine   ${machine()}`);
console.log(`database  ${await postgresVersion(adminUrl)} at ${new URL(adminUrl).host}`);
console.log(`date      ${new Date().toISOString()}`);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);

const names = ["af_bench_queue", "af_bench_graphile", "af_bench_graphile2"].map(benchDatabase) as [
  string,
  string,
  string,
];
const urls = await Promise.all(names.map((name) => recreateDatabase(adminUrl, name)));
const systems = [
  await tableQueue(urls[0] as string),
  await graphile(urls[1] as string, true),
  await graphile(urls[2] as string, false),
];
for (const system of systems) console.log(`  ${system.name}: ${system.settings}`);

// Calibration (and warm-up): a short drain per system says how many jobs make a round of ROUND_SECONDS. It
// runs short, so start-up weighs on it and it underestimates the rate (by up to half in trials); hence twice
// the count, and each round's duration is printed to show whether it held.
const jobsPerRound: number[] = [];
console.log(`\ncalibration (${fmt(CALIBRATION_JOBS)} jobs each, not counted)`);
for (const system of systems) {
  const r = await system.drain(CALIBRATION_JOBS);
  const jobs = FIXED_JOBS ?? Math.ceil((r.jobsPerSecond * ROUND_SECONDS * 2) / 1000) * 1000;
  jobsPerRound.push(jobs);
  console.log(`  ${system.name}: ${fmt(r.jobsPerSecond)} jobs/s → ${fmt(jobs)} jobs per round`);
}

// Throughput: ROUNDS rounds; in each, every system drains its own backlog in turn, the order rotating so
// that no system always follows the same one (a predecessor's dead rows and autovacuum fall on everyone).
const rates: number[][] = systems.map(() => []);
let shortRounds = 0;
console.log(
  `\nthroughput, ${ROUNDS} rounds (target ≥ ${ROUND_SECONDS} s of draining per system per round${VACUUM ? "; tables vacuumed before each round" : ""})`,
);
for (let round = 0; round < ROUNDS; round++) {
  const line: string[] = [];
  for (let turn = 0; turn < systems.length; turn++) {
    const k = (round + turn) % systems.length;
    const system = systems[k] as System;
    const jobs = jobsPerRound[k] as number;
    if (VACUUM) await vacuum(urls[k] as string, system.table);
    const r = await system.drain(jobs);
    (rates[k] as number[]).push(r.jobsPerSecond);
    // On a shared machine the rate moves with other load: a round that ran short makes the next one longer.
    const short = r.settledMs < ROUND_SECONDS * 1000;
    if (short && FIXED_JOBS === undefined) {
      jobsPerRound[k] = Math.max(jobs, Math.ceil((r.jobsPerSecond * ROUND_SECONDS * 1.3) / 1000) * 1000);
      shortRounds += 1;
    }
    line[k] =
      `${system.name}: ${fmt(r.jobsPerSecond)} jobs/s (${fmt(jobs)} jobs, enqueue ${fmt(r.enqueueMs / 1000, 1)} s, ` +
      `handled ${fmt(r.handledMs / 1000, 1)} s, empty ${fmt(r.settledMs / 1000, 1)} s${short ? `, SHORT: next round ${fmt(jobsPerRound[k] as number)} jobs` : ""})`;
  }
  const [ours, batched, defaults] = rates.map((r) => r[round] as number) as [number, number, number];
  console.log(`  round ${round + 1}  (load avg ${loadAverage()})`);
  for (const l of line) console.log(`    ${l}`);
  console.log(`    ratio table queue ÷ batched ${x(ours / batched)}, ÷ defaults ${x(ours / defaults)}`);
}

// Latency: all three workers idle and listening at once; each system gets RATE/s for SECONDS / ROUNDS in turn.
const latencyRuns = systems.map(() => ({
  enqueuedAt: new Map<number, number>(),
  startedAt: new Map<number, number>(),
}));
for (const [k, system] of systems.entries())
  await system.startIdle((latencyRuns[k] as (typeof latencyRuns)[number]).startedAt);
await sleep(500);
for (const r of latencyRuns) r.startedAt.clear();
let id = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, system] of systems.entries()) {
    const { enqueuedAt } = latencyRuns[k] as (typeof latencyRuns)[number];
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
  () => latencyRuns.every((r) => r.startedAt.size >= r.enqueuedAt.size),
  10_000,
  5,
).catch(() => {});
for (const system of systems) await system.close();

const latencies = latencyRuns.map((r) => latencyOf(r.enqueuedAt, r.startedAt));
console.log("\nsummary");
for (const [k, system] of systems.entries()) {
  const tp = spread(rates[k] as number[]);
  const l = latencies[k] as Latency;
  console.log(`\n${system.name}`);
  console.log(
    `  throughput  median ${fmt(tp.median)} jobs/s (${fmt(tp.min)}–${fmt(tp.max)} over ${ROUNDS} rounds)`,
  );
  console.log(
    `  latency     p50 ${fmt(l.p50, 1)} ms  p95 ${fmt(l.p95, 1)} ms  p99 ${fmt(l.p99, 1)} ms  max ${fmt(l.max, 1)} ms  (${fmt(l.n)} jobs at ${RATE}/s${l.lost ? `, ${l.lost} NOT STARTED within 10 s` : ""})`,
  );
}

const [ourRates, batchedRates, defaultRates] = rates as [number[], number[], number[]];
const perRound = (other: number[]) => spread(ourRates.map((r, i) => r / (other[i] as number)));
const [ours, graphileBatched, graphileDefault] = latencies as [Latency, Latency, Latency];
console.log("\nratios, table queue ÷ graphile-worker (per round: median, min–max)");
for (const [label, other] of [
  ["batched ", batchedRates],
  ["defaults", defaultRates],
] as const) {
  const r = perRound(other);
  console.log(`  throughput ÷ ${label}  ${x(r.median)}  (${x(r.min)}–${x(r.max)})   (target ≥ 1)`);
}
console.log(
  `  p50 latency ${x(ours.p50 / graphileBatched.p50)} / ${x(ours.p50 / graphileDefault.p50)}   (÷ batched / ÷ defaults, target ≤ 1)`,
);
console.log(`  p99 latency ${x(ours.p99 / graphileBatched.p99)} / ${x(ours.p99 / graphileDefault.p99)}`);

if (shortRounds > 0) {
  console.log(`  ${shortRounds} drain(s) took less than ${ROUND_SECONDS} s (marked SHORT above)`);
}
console.log(`\nload avg  ${loadAverage()} (1/5/15 min) at end`);
for (const name of names) await dropDatabase(adminUrl, name);
console.log(`\ndone in ${fmt((performance.now() - started) / 1000, 1)} s`);
