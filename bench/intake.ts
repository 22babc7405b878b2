/**
 * `npm run bench:intake`: the local runtime (API + workers) on a fresh database, driven over HTTP on 127.0.0.1.
 *  1. latency: a steady 500 warnings/s (BENCH_RATE; batches of 50, every 100 ms at 500/s, for 20 s); receive-to-pushed
 *     percentiles from alerts.received_at to when the push transaction committed (observeCommits); then the same for
 *     10 s with only the alert-push worker in the process (SMS sending elsewhere, as with separate consumers);
 *  2. throughput: 30,000 warnings in signed batches of 100, 16 requests in flight; warnings/s counted from
 *     the rows in the database, not from the responses; with every worker running, then API only (WORKERS=none);
 *  3. baselines in the same run, same client, same bodies: a bare Hono handler that only parses the body, and
 *     the same rows (warning, alert, job) written with intake's own statements through the same driver on a
 *     fresh database (bench/support/intake-baselines.ts).
 * PGlite (temp data dir) by default; PostgreSQL when DATABASE_URL is set (database af_bench, recreated each run).
 * BENCH_CLIENT=child (default) runs the HTTP client in a child process; BENCH_CLIENT=inline in this process.
 * Knobs: BENCH_WARNINGS, BENCH_CONCURRENCY, BENCH_RATE, BENCH_PACE_SECONDS, BENCH_DRAIN_SECONDS, BENCH_VARIANTS=0.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { loadConfig } from "../src/config";
import { type Database, queryRows } from "../src/db/client";
import { startLocalRuntime } from "../src/local/runtime";
import { seedDemo } from "../src/local/seed";
import { createLog } from "../src/log";
import type { QueuePort } from "../src/queue/port";
import { burstLoad, type LoadSpec, pacedLoad } from "./load";
import { benchDatabase, dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { bareHonoBaseline, bareInsertBaseline } from "./support/intake-baselines";
import { countLike, pendingJobs, unpushed } from "./support/intake-queries";
import { describeLoad, loadRunner } from "./support/load-client";
import { loadAverage, machine, machineCpu, serverCpu } from "./support/machine";
import { progress } from "./support/progress";
import { fmt, summarize } from "./support/stats";
import { waitFor } from "./support/wait";

const BATCH = 100;
const WARNINGS = Number(process.env.BENCH_WARNINGS ?? 30_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** The steady rate of the latency phase; BENCH_RATE=1000 asks whether requests stay fast at 1,000/s. */
const RATE = Number(process.env.BENCH_RATE ?? 500);
const PACE_BATCH = 50;
const PACE_SECONDS = Number(process.env.BENCH_PACE_SECONDS ?? 20);
const CLIENT = process.env.BENCH_CLIENT === "inline" ? "inline" : "child";
/** How long to let the push workers catch up after the burst before giving up on that figure. */
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 15);
/** BENCH_VARIANTS=0 skips the push-only latency and API-only throughput phases. */
const VARIANTS = process.env.BENCH_VARIANTS !== "0";

const adminUrl = process.env.DATABASE_URL;
/** af_bench, with BENCH_DB_SUFFIX appended so that two runs on one server keep apart. */
const DB_NAME = benchDatabase("af_bench");
const kind = adminUrl ? "postgres" : "pglite";
const scratch = mkdtempSync(join(tmpdir(), "af-bench-"));
const wallStarted = performance.now();

const step = progress(wallStarted);
const load = loadRunner(CLIENT);

const burst = (url: string, secret: string, prefix: string): LoadSpec =>
  burstLoad(
    { url, secret, prefix },
    { warnings: WARNINGS, batchSize: BATCH, concurrency: CONCURRENCY, maxMs: 45_000 },
  );

// ---------------------------------------------------------------------------------------------------------
// The runtime under test

console.log(`bench:intake on ${kind === "postgres" ? "PostgreSQL" : "PGlite"}, client ${CLIENT}`);
console.log(`machine   ${machine()}`);
console.log(
  `database  ${adminUrl ? `${await postgresVersion(adminUrl)} (database ${DB_NAME})` : `PGlite 0.5 in ${scratch}`}`,
);
console.log(`date      ${new Date().toISOString()}`);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);

interface Target {
  db: Database["db"];
  queue: QueuePort;
  feedUrl: string;
  secret: string;
}

/**
 * When each victim warning's push committed, seen from outside the push code: every transaction that
 * publishes calls the queue's `committed` once its COMMIT has returned (src/queue/outbox.ts), and a push
 * publishes the subject's `sms.send` in the transaction that marks the alert pushed. `pushed_at` itself is
 * stamped when the push starts its writes, before the SMS rows, the officer notices and the commit, so it
 * leaves the push's own writes out; "pushed" here means committed. Returns the commit times (epoch ms) by
 * SMS message id; the caller maps them to alerts through sms_messages.alert_id.
 */
function observeCommits(queue: QueuePort): Map<string, number> {
  const committedAt = new Map<string, number>();
  const committed = queue.committed?.bind(queue);
  queue.committed = async (items) => {
    const at = Date.now();
    for (const { message } of items) if (message.type === "sms.send") committedAt.set(message.messageId, at);
    await committed?.(items);
  };
  return committedAt;
}

/**
 * Each phase gets its own runtime on a fresh database (af_bench, or a new PGlite directory), so neither
 * inherits the other's backlog: the dev outbox is rate-limited like a provider (SMS_GLOBAL_PARTS_PER_SECOND),
 * and SMS left over from one phase would otherwise compete with the next.
 */
async function withRuntime<T>(name: string, workers: string, run: (r: Target) => Promise<T>): Promise<T> {
  step(`${name}: starting the runtime (WORKERS=${workers}) on a fresh database`);
  const benchUrl = adminUrl ? await recreateDatabase(adminUrl, DB_NAME) : undefined;
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: "0",
    DATA_DIR: join(scratch, name),
    LOG_LEVEL: "warn",
    OUTBOX_RECEIPT_DELAY_MS: "-1",
    SEED_DEMO: "false",
    WORKERS: workers,
    ...(benchUrl ? { DATABASE_URL: benchUrl } : {}),
  });
  const runtime = await startLocalRuntime(config, createLog(config.LOG_LEVEL));
  try {
    const demo = await seedDemo(runtime.deps, runtime.baseUrl);
    const db = runtime.deps.db;
    const feedUrl = `http://127.0.0.1:${runtime.port}/v1/feeds/${demo.feedSource.id}/warnings`;
    const secret = demo.feedSource.secret;
    // Warm-up: JIT, connection pools, prepared statements; then let the workers finish it.
    step(`${name}: warming up`);
    await load({ ...burst(feedUrl, secret, `warm${name}`), requests: 5, concurrency: 2 });
    if (workers !== "none") {
      await waitFor("warm-up to be pushed", async () => (await pendingJobs(db)) === 0, 20_000, 50).catch(
        () => {
          step(`${name}: warm-up work not finished after 20 s; measuring anyway`);
        },
      );
    }
    step(`${name}: measuring`);
    return await run({ db, queue: runtime.deps.queue, feedUrl, secret });
  } finally {
    step(`${name}: stopping the runtime`);
    await runtime.stop();
    if (adminUrl) await dropDatabase(adminUrl, DB_NAME);
  }
}

// 1. Latency at a steady 500 warnings/s.
const latencyAt =
  (seconds: number) =>
  async ({ db, queue, feedUrl, secret }: Target) => {
    const committedAt = observeCommits(queue);
    const cpu = machineCpu();
    const server = serverCpu(adminUrl, DB_NAME);
    const result = await load(
      pacedLoad({ url: feedUrl, secret, prefix: "lat" }, { rate: RATE, seconds, batchSize: PACE_BATCH }),
    );
    const unpushedAtEnd = await unpushed(db);
    await waitFor("paced alerts to be pushed", async () => (await unpushed(db)) === 0, 30_000, 50).catch(
      () => {},
    );
    const busyCores = cpu();
    const serverUsed = await server();
    const rows = await queryRows<{ stamped: number | null; received: number; message_id: string | null }>(
      db,
      sql`select (extract(epoch from a.pushed_at - a.received_at) * 1000)::float8 as stamped,
                 (extract(epoch from a.received_at) * 1000)::float8 as received, m.id as message_id
        from alerts a join warnings w on w.alert_id = a.id
        left join sms_messages m on m.alert_id = a.id and m.purpose = 'victim_warning'
        where w.external_id like 'lat-%'`,
    );
    // received_at comes from this process's clock (the runtime runs here), as does the commit time.
    const committed = rows.flatMap((r) => {
      const at = r.message_id === null ? undefined : committedAt.get(r.message_id);
      return at === undefined ? [] : [at - Number(r.received)];
    });
    const stamped = rows.filter((r) => r.stamped !== null).map((r) => Number(r.stamped));
    const [sms] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from sms_messages where purpose = 'victim_warning' and status <> 'queued'`,
    );
    return {
      result,
      latency: summarize(committed),
      stamped: summarize(stamped),
      neverPushed: rows.filter((r) => r.stamped === null).length,
      pushedUnobserved: stamped.length - committed.length,
      unpushedAtEnd,
      smsSent: sms?.n ?? 0,
      busy: busyCores,
      server: serverUsed,
    };
  };
const paced = await withRuntime("latency", "all", latencyAt(PACE_SECONDS));
// The same with SMS sending left to another process (as with separate consumers or Lambdas): the push path alone.
const pacedPushOnly = VARIANTS
  ? await withRuntime("latency-push-only", "alert-push", latencyAt(10))
  : undefined;

// 2. Throughput: as fast as 16 concurrent signed batches of 100 go.
const throughput =
  (drain: boolean) =>
  async ({ db, feedUrl, secret }: Target) => {
    const cpu = machineCpu();
    const server = serverCpu(adminUrl, DB_NAME);
    const result = await load(burst(feedUrl, secret, "tp"));
    const busyCores = cpu();
    const serverUsed = await server();
    const committed = await countLike(db, "tp");
    const [alertRow] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from alerts a join warnings w on w.alert_id = a.id where w.external_id like 'tp-%'`,
    );
    // How fast the workers catch up afterwards: push capacity, the ceiling for the latency phase's load.
    const backlog = await unpushed(db);
    const drainStarted = performance.now();
    if (drain) {
      await waitFor(
        "burst alerts to be pushed",
        async () => (await unpushed(db)) === 0,
        DRAIN_SECONDS * 1000,
        100,
      ).catch(() => {});
    }
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const pushed = backlog - (await unpushed(db));
    return {
      result,
      committed,
      alerts: alertRow?.n ?? 0,
      rate: committed / (result.elapsedMs / 1000),
      busy: busyCores,
      server: serverUsed,
      backlog,
      pushed,
      drainSeconds,
    };
  };
const burstPhase = await withRuntime("throughput", "all", throughput(true));
// The API alone (WORKERS=none: consumers in other processes, as in the cloud): intake's own ceiling.
const burstApiOnly = VARIANTS
  ? await withRuntime("throughput-api-only", "none", throughput(false))
  : undefined;

// ---------------------------------------------------------------------------------------------------------
// Baseline (b): a bare Hono handler that parses the same body and answers like the real one.

step("baseline: bare Hono handler");
// Signed like the real requests (the bare handler ignores the signature), so the client does the same work.
const {
  result: bareResult,
  busy: bareBusy,
  rate: bareRate,
} = await bareHonoBaseline(load, (url) => burst(url, "bare-secret", "bare"));

// ---------------------------------------------------------------------------------------------------------
// Baseline (a): the same rows (warning + alert + push job per warning) written with intake's own statements,
// one transaction per batch of 100, 16 at once, same driver, fresh migrated database. Everything the
// application computes (normalised phone, ciphertext, hash, ids) is computed before the clock starts.

step("baseline: intake's statements, bare");
const {
  ms: insertMs,
  busy: insertBusy,
  rate: insertRate,
} = await bareInsertBaseline({
  adminUrl,
  scratch,
  warnings: WARNINGS,
  batch: BATCH,
  concurrency: CONCURRENCY,
});

// ---------------------------------------------------------------------------------------------------------

const target = kind === "postgres" ? 3000 : 1000;
const busy = (b: { busyCores: number }) => `machine busy ${b.busyCores.toFixed(2)} of ${cpus().length} cores`;
const ratios = (rate: number) =>
  `÷ bare INSERT ${(rate / insertRate).toFixed(2)}, ÷ bare Hono ${(rate / bareRate).toFixed(2)}`;
const perWarning = (used: { nodeMs: number; pgMs: number | undefined }, n: number) =>
  `server CPU per warning ${fmt(used.nodeMs / n, 3)} ms in this process${used.pgMs === undefined ? "" : ` + ${fmt(used.pgMs / n, 3)} ms in PostgreSQL`}`;
const bp = burstPhase;
console.log(`\nthroughput (${fmt(WARNINGS)} warnings, batches of ${BATCH}, ${CONCURRENCY} in flight)`);
console.log(
  `  runtime            ${fmt(bp.rate)} warnings/s durably committed, workers running  (target ≥ ${fmt(target)}/s; ${ratios(bp.rate)})\n` +
    `                     ${fmt(bp.committed)} warning rows, ${fmt(bp.alerts)} alerts in ${fmt(bp.result.elapsedMs)} ms; ${describeLoad(bp.result)}; ${busy(bp.busy)}\n` +
    `                     ${perWarning(bp.server, bp.committed)} (intake plus whatever the workers did meanwhile)`,
);
console.log(
  `                     then ${fmt(bp.backlog)} alerts unpushed; ${fmt(bp.pushed)} pushed in the next ${fmt(bp.drainSeconds, 1)} s (${fmt(bp.pushed / bp.drainSeconds)}/s)`,
);
if (burstApiOnly) {
  const a = burstApiOnly;
  console.log(
    `  API only           ${fmt(a.rate)} warnings/s durably committed, WORKERS=none  (${ratios(a.rate)})\n` +
      `                     ${fmt(a.committed)} rows in ${fmt(a.result.elapsedMs)} ms; ${describeLoad(a.result)}; ${busy(a.busy)}\n` +
      `                     ${perWarning(a.server, a.committed)}`,
  );
}
console.log(
  `  bare INSERT        ${fmt(insertRate)} warnings/s  (same rows, intake's jsonb_to_recordset inserts + the queue's publish, a transaction per batch of ${BATCH}, ${CONCURRENCY} at once, ${fmt(insertMs)} ms; ${busy(insertBusy)})`,
);
console.log(
  `  bare Hono          ${fmt(bareRate)} warnings/s  (parse body, answer 202; ${describeLoad(bareResult)}; ${busy(bareBusy)})`,
);
type Paced = typeof paced;
const describeLatency = (p: Paced, seconds: number, what: string) => {
  const { latency } = p;
  console.log(
    `\nreceive-to-pushed at ${RATE} warnings/s, ${what} (${PACE_BATCH} every ${(PACE_BATCH * 1000) / RATE} ms for ${seconds} s)`,
  );
  const { stamped } = p;
  console.log(
    `  received_at → push committed: p50 ${fmt(latency.p50, 1)} ms  p95 ${fmt(latency.p95, 1)} ms  p99 ${fmt(latency.p99, 1)} ms  max ${fmt(latency.max, 1)} ms${kind === "postgres" ? "  (target p99 < 100 ms)" : ""}\n` +
      `  (pushed_at − received_at, stamped before the push's writes: p50 ${fmt(stamped.p50, 1)} ms  p99 ${fmt(stamped.p99, 1)} ms)\n` +
      `  ${fmt(latency.n)} push commits observed${p.pushedUnobserved ? `, ${fmt(p.pushedUnobserved)} pushed but NOT observed` : ""}${p.neverPushed ? `, ${fmt(p.neverPushed)} NOT pushed within 30 s` : ""}; ${fmt(p.unpushedAtEnd)} waiting when posting ended; ${fmt(p.smsSent)} victim SMS sent by then; offered ${fmt(p.result.warnings / (p.result.elapsedMs / 1000))}/s; ${describeLoad(p.result)}; ${busy(p.busy)}\n` +
      `  ${perWarning(p.server, p.result.warnings)} (intake, push and, if running here, SMS)`,
  );
};
describeLatency(paced, PACE_SECONDS, "runtime with all workers");
if (pacedPushOnly) describeLatency(pacedPushOnly, 10, "WORKERS=alert-push (SMS sent by another process)");
console.log(`\nload avg  ${loadAverage()} (1/5/15 min) at end`);

if (adminUrl) await dropDatabase(adminUrl, benchDatabase("af_bench_base"));
rmSync(scratch, { recursive: true, force: true });
console.log(`\ndone in ${fmt((performance.now() - wallStarted) / 1000, 1)} s`);
