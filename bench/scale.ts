/**
 * `npm run bench:scale`: the same PostgreSQL database with 1, 2 and 4 worker processes (issue 19). For each N:
 * a fresh migrated database (af_bench_scale + BENCH_DB_SUFFIX) with the demo station, one API process
 * (`src/local/main.ts`, WORKERS=none) and N worker processes (WORKERS=all), all child processes sharing the
 * database and PII keys, LOG_LEVEL=warn, the dev outbox (rate-limited like a provider: 500 parts/s), then:
 *  B. latency: a steady 300 warnings/s (BENCH_RATE; a batch of 50 at a time) for 15 s (BENCH_PACE_SECONDS);
 *     receive-to-victim-SMS-submitted (alerts.received_at → sms_messages.submitted_at) p50/p95/p99. The push's
 *     commit, which bench:intake observes inside its process, cannot be seen from here: the workers are
 *     other processes. Run first, so it does not inherit the burst's backlog.
 *  A. throughput: BENCH_WARNINGS (20,000) warnings in signed batches of 100, 16 in flight, to the API; intake
 *     warnings/s from the rows; alerts pushed/s and victim SMS/s from the burst's start until all are sent
 *     (at most BENCH_DRAIN_SECONDS, 90, from the start; what is left is reported).
 * CPU per process group (API, workers, their PostgreSQL backends) from /proc, the machine's busy cores and
 * the load average. The HTTP client is a child process (bench/client.ts). Knobs: BENCH_WORKER_PROCESSES
 * ("1,2,4"), BENCH_WARNINGS, BENCH_RATE, BENCH_PACE_SECONDS, BENCH_DRAIN_SECONDS.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import type { Db } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { buildLocalDeps } from "../src/local/deps";
import { seedDemo } from "../src/local/seed";
import { createLog } from "../src/log";
import { burstLoad, pacedLoad } from "./load";
import { childRuntimes } from "./support/child-runtimes";
import { benchDatabase, dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { describeLoad, loadRunner } from "./support/load-client";
import { loadAverage, machine, machineCpu, processesCpuSeconds } from "./support/machine";
import { progress } from "./support/progress";
import { backendPids, latencies, outboxParts, type Progress, progressOf } from "./support/scale-queries";
import { fmt, summarize } from "./support/stats";
import { sleep } from "./support/wait";

const PROCESSES = (process.env.BENCH_WORKER_PROCESSES ?? "1,2,4").split(",").map(Number);
const WARNINGS = Number(process.env.BENCH_WARNINGS ?? 20_000);
const BATCH = 100;
const CONCURRENCY = 16;
const RATE = Number(process.env.BENCH_RATE ?? 300);
const PACE_BATCH = 50;
const PACE_SECONDS = Number(process.env.BENCH_PACE_SECONDS ?? 15);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 90);
/** The dev outbox's global rate (SMS_GLOBAL_PARTS_PER_SECOND's default for the outbox channel). */
const SMS_LIMIT = 500;

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  console.error("bench:scale needs DATABASE_URL (PostgreSQL): several processes share one database.");
  process.exit(1);
}
const DB_NAME = benchDatabase("af_bench_scale");
const scratch = mkdtempSync(join(tmpdir(), "af-bench-scale-"));
const step = progress();
const load = loadRunner("child");

console.log(`bench:scale: one API process + N worker processes on one PostgreSQL database`);
console.log(`machine   ${machine()}`);
console.log(`database  ${await postgresVersion(adminUrl)} (database ${DB_NAME})`);
console.log(`date      ${new Date().toISOString()}`);
const loadAtStart = loadAverage();
console.log(`load avg  ${loadAtStart} (1/5/15 min) at start`);

interface Cpu {
  api: number;
  workers: number;
  postgres: number;
  machine: number;
}

/** CPU each group used while `run` ran, in cores (CPU seconds per second of wall time). */
async function measureCpu<T>(
  db: Db,
  pids: { api: number; workers: number[] },
  run: () => Promise<T>,
): Promise<{ value: T; cpu: Cpu }> {
  const read = async () => ({
    api: processesCpuSeconds([pids.api]),
    workers: processesCpuSeconds(pids.workers),
    postgres: processesCpuSeconds(await backendPids(db, DB_NAME)),
  });
  const whole = machineCpu();
  const before = await read();
  const value = await run();
  const after = await read();
  const { busyCores, seconds } = whole();
  const cores = (k: keyof typeof before) => (after[k] - before[k]) / seconds;
  return {
    value,
    cpu: { api: cores("api"), workers: cores("workers"), postgres: cores("postgres"), machine: busyCores },
  };
}

/** Polls until every alert of `prefix` has its victim SMS submitted, or `deadline` (performance.now()) passes. */
async function untilTexted(db: Db, prefix: string, deadline: number): Promise<Progress> {
  for (;;) {
    const p = await progressOf(db, prefix);
    if (p.texted === p.alerts || performance.now() > deadline) return p;
    await sleep(1_000);
  }
}

async function runWith(n: number) {
  step(`N=${n}: fresh database, demo station`);
  const url = await recreateDatabase(adminUrl as string, DB_NAME);
  const keys = { encryptionKey: randomBytes(32), hashKey: randomBytes(32) };
  const env = {
    NODE_ENV: "development",
    DATABASE_URL: url,
    DATA_DIR: join(scratch, `n${n}`),
    PII_ENCRYPTION_KEY: keys.encryptionKey.toString("base64"),
    PII_HASH_KEY: keys.hashKey.toString("base64"),
    SEED_DEMO: "false",
    LOG_LEVEL: "warn",
    OUTBOX_RECEIPT_DELAY_MS: "-1",
  };
  // The bench's own handle: migrate and seed once before any process starts, then count rows.
  const database = await openDatabase({ url, max: 2 });
  await migrateDatabase(database, url);
  const deps = buildLocalDeps({ config: loadConfig(env), database, log: createLog("warn"), keys });
  const demo = await seedDemo(deps, "http://127.0.0.1");
  const db = deps.db;
  const spawned = childRuntimes();
  try {
    step(`N=${n}: starting the API process and ${n} worker process(es)`);
    const api = await spawned.start("api", { ...env, WORKERS: "none" });
    const workers = [];
    // One after another: each runs the (already applied) migrations at start-up.
    for (let i = 0; i < n; i++) workers.push(await spawned.start(`worker ${i}`, { ...env, WORKERS: "all" }));
    const pids = { api: api.child.pid as number, workers: workers.map((w) => w.child.pid as number) };
    const feedUrl = `http://127.0.0.1:${api.port}/v1/feeds/${demo.feedSource.id}/warnings`;
    const target = (prefix: string) => ({ url: feedUrl, secret: demo.feedSource.secret, prefix });
    const spec = (prefix: string) =>
      burstLoad(target(prefix), {
        warnings: WARNINGS,
        batchSize: BATCH,
        concurrency: CONCURRENCY,
        maxMs: 60_000,
      });

    step(`N=${n}: warming up`);
    await load({ ...spec("warm"), requests: 5, concurrency: 2 });
    await untilTexted(db, "warm", performance.now() + 20_000);

    step(`N=${n}: latency, ${RATE} warnings/s for ${PACE_SECONDS} s`);
    const latency = await measureCpu(db, pids, async () => {
      const result = await load(
        pacedLoad(target("lat"), { rate: RATE, seconds: PACE_SECONDS, batchSize: PACE_BATCH }),
      );
      const left = await untilTexted(db, "lat", performance.now() + 30_000);
      return { result, left: left.alerts - left.texted, ...(await latencies(db, "lat")) };
    });

    step(`N=${n}: throughput, ${fmt(WARNINGS)} warnings`);
    const burst = await measureCpu(db, pids, async () => {
      const startedAt = Date.now();
      const started = performance.now();
      const result = await load(spec("tp"));
      const intakeSeconds = result.elapsedMs / 1000;
      const p = await untilTexted(db, "tp", started + DRAIN_SECONDS * 1000);
      const waited = (performance.now() - started) / 1000;
      const outbox = await outboxParts(db, startedAt);
      // A rate over the time it took, or over the whole wait when not everything was done in it.
      const span = (done: boolean, last: number | null) =>
        done && last !== null ? (last - startedAt) / 1000 : waited;
      const pushSeconds = span(p.pushed === p.alerts, p.lastPushedAt);
      const smsSeconds = span(p.texted === p.alerts, p.lastTextedAt);
      const sendingSeconds =
        p.firstTextedAt !== null && p.lastTextedAt !== null ? (p.lastTextedAt - p.firstTextedAt) / 1000 : NaN;
      return {
        result,
        intake: p.alerts / intakeSeconds,
        progress: p,
        pushed: p.pushed / pushSeconds,
        sms: p.texted / smsSeconds,
        parts: outbox.parts / smsSeconds,
        sending: p.texted / sendingSeconds,
        pushSeconds,
        smsSeconds,
        waited,
      };
    });
    return { n, latency, burst };
  } finally {
    step(`N=${n}: stopping`);
    await spawned.stop();
    await database.close();
    await dropDatabase(adminUrl as string, DB_NAME);
  }
}

const runs = [];
for (const n of PROCESSES) runs.push(await runWith(n));
rmSync(scratch, { recursive: true, force: true });

const cpuText = (c: Cpu) =>
  `API ${fmt(c.api, 2)} + workers ${fmt(c.workers, 2)} + PostgreSQL ${fmt(c.postgres, 2)}; machine ${fmt(c.machine, 2)} of ${cpus().length}`;
for (const { n, latency, burst } of runs) {
  const b = burst.value;
  const l = latency.value;
  const texted = summarize(l.texted);
  const stamped = summarize(l.stamped);
  console.log(`\nN=${n} worker process(es)`);
  console.log(
    `  latency     ${RATE}/s for ${PACE_SECONDS} s: ${describeLoad(l.result)}\n` +
      `              received → victim SMS submitted (n=${texted.n}) p50 ${fmt(texted.p50)} p95 ${fmt(texted.p95)} p99 ${fmt(texted.p99)} max ${fmt(texted.max)} ms; ` +
      `received → pushed_at p50 ${fmt(stamped.p50)} p99 ${fmt(stamped.p99)} ms; ${l.left} not texted after 30 s\n` +
      `              CPU (cores) ${cpuText(latency.cpu)}`,
  );
  console.log(
    `  throughput  ${fmt(b.progress.alerts)} warnings in ${fmt(b.result.elapsedMs)} ms: ${fmt(b.intake)} warnings/s; ${describeLoad(b.result)}\n` +
      `              pushed ${fmt(b.progress.pushed)} in ${fmt(b.pushSeconds, 1)} s from the burst's start (${fmt(b.pushed)}/s); ` +
      `victim SMS ${fmt(b.progress.texted)} in ${fmt(b.smsSeconds, 1)} s (${fmt(b.sms)}/s, first to last ${fmt(b.sending)}/s); ` +
      `outbox ${fmt(b.parts)} parts/s of its ${SMS_LIMIT}; left after ${fmt(b.waited, 1)} s: ${fmt(b.progress.alerts - b.progress.pushed)} unpushed, ${fmt(b.progress.alerts - b.progress.texted)} not texted\n` +
      `              CPU (cores) ${cpuText(burst.cpu)}`,
  );
}

console.log(
  `\n| worker processes | intake (warnings/s) | pushed (alerts/s) | victim SMS/s (of the ${SMS_LIMIT}/s limit) | receive → SMS p50 / p99 at ${RATE}/s | CPU during the burst (cores): API / workers / PostgreSQL / machine |`,
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const { n, latency, burst } of runs) {
  const b = burst.value;
  const t = summarize(latency.value.texted);
  const c = burst.cpu;
  console.log(
    `| ${n} | ${fmt(b.intake)} | ${fmt(b.pushed)} | ${fmt(b.sms)} (${fmt((b.parts / SMS_LIMIT) * 100)}% in parts) | ${fmt(t.p50)} / ${fmt(t.p99)} ms | ${fmt(c.api, 2)} / ${fmt(c.workers, 2)} / ${fmt(c.postgres, 2)} / ${fmt(c.machine, 2)} |`,
  );
}
console.log(`\nload avg  ${loadAtStart} at start, ${loadAverage()} at end`);
step("done");
