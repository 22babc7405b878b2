/**
 * `npm run bench:verify`: recording outcomes (快核) and getting them back to the source (快反).
 *  1. outcomes/s: recordOutcome (src/alerts/verify.ts, the use case behind POST /v1/alerts/{id}/outcome: read,
 *     decide, then one statement with the conditional update, timeline, audit entry and, in this local runtime,
 *     the feedback event and its delivery job: src/alerts/officer-step.ts) over OUTCOMES acknowledged alerts,
 *     CONCURRENCY at a time, no workers running. Baseline in the same run, same concurrency, on as many other
 *     acknowledged alerts: a bare conditional UPDATE to `verified` per alert. Both also report this process's
 *     CPU time per item and, on a PostgreSQL server on this machine, its backends' (read from /proc).
 *  2. callbacks/s: the feedback workers then deliver that backlog to a local receiver (node:http on 127.0.0.1
 *     answering 200); measured until every event is delivered.
 *  3. outcome-to-callback latency: outcomes recorded at RATE/s for SECONDS with the workers idle and listening;
 *     latency = receiver got the callback − recordOutcome resolved (committed), both clocks in this process.
 *     Baseline: a bare signed POST to the same receiver from this process, the floor of any callback.
 * PGlite (temp data dir) by default; PostgreSQL when DATABASE_URL is set (database af_bench_verify, recreated;
 * BENCH_DB_SUFFIX changes the `_verify` suffix).
 * Bounded: fixed counts, every wait has a timeout, all traffic stays on 127.0.0.1 or the DATABASE_URL host.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, count, eq, sql } from "drizzle-orm";
import pLimit from "p-limit";
import { alerts, feedbackEvents, feedSources, officers, posts, stations, warnings } from "../schema";
import { recordOutcome } from "../src/alerts/verify";
import type { Principal } from "../src/auth/sessions";
import { newId } from "../src/ids";
import { startWorkers } from "../src/local/workers";
import { signPayload } from "../src/signature";
import { dropDatabase, postgresVersion } from "./support/databases";
import { benchRuntime } from "./support/local-runtime";
import { loadAverage, machine, serverCpu } from "./support/machine";
import { fmt, summarize } from "./support/stats";
import { sleep, waitFor } from "./support/wait";

const OUTCOMES = Number(process.env.BENCH_OUTCOMES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
// BENCH_DB_SUFFIX keeps this bench's database apart from other benches run at the same time on one server.
const DB_NAME = `af_bench${process.env.BENCH_DB_SUFFIX ?? "_verify"}`;

const adminUrl = process.env.DATABASE_URL;
const scratch = mkdtempSync(join(tmpdir(), "af-bench-verify-"));
const started = performance.now();
const step = (what: string) =>
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);

// --- the receiver: a feed's callback endpoint on 127.0.0.1 -----------------------------------------------
const arrivals = new Map<string, number>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = performance.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alertId?: string };
      if (body.alertId && !arrivals.has(body.alertId)) arrivals.set(body.alertId, at);
    } catch {
      // The baseline's probe bodies are not feedback; they only need an answer.
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/feedback`;

// --- the system under test ---------------------------------------------------------------------------------
const { benchUrl, database, deps } = await benchRuntime({
  adminUrl,
  name: DB_NAME,
  scratch,
  connections: CONCURRENCY + 4,
});
const db = deps.db;

console.log(`bench:verify on ${benchUrl ? "PostgreSQL" : "PGlite"}`);
console.log(`machine   ${machine()}`);
console.log(
  `database  ${adminUrl ? `${await postgresVersion(adminUrl)} (database ${DB_NAME})` : `PGlite 0.5 in ${scratch}`}`,
);
console.log(`date      ${new Date().toISOString()}`);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);

const principal: Principal = {
  officerId: "off_bench",
  stationId: "stn_bench",
  postId: "pst_bench",
  role: "officer",
  passwordChangeRequired: false,
};
const secret = "bench-feed-secret";
await db.insert(stations).values({ id: "stn_bench", name: "Bench station" });
await db
  .insert(posts)
  .values({ id: "pst_bench", stationId: "stn_bench", name: "Duty desk", isDutyDesk: true });
await db.insert(officers).values({
  id: "off_bench",
  stationId: "stn_bench",
  postId: "pst_bench",
  username: "bench",
  displayName: "bench",
  role: "officer",
  passwordHash: "not-used",
});
await db.insert(feedSources).values({
  id: "src_bench",
  stationId: "stn_bench",
  name: "Bench feed",
  secretEnc: deps.pii.encrypt(secret),
  callbackUrl,
});

/** Acknowledged alerts, one warning each, as the verify stage finds them. */
async function acknowledgedAlerts(n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date();
  for (let start = 0; start < n; start += 500) {
    const chunk = Array.from({ length: Math.min(500, n - start) }, (_, i) => {
      const phone = `+86138${String(10_000_000 + start + i).padStart(8, "0")}`;
      return {
        alertId: newId("alert"),
        warningId: newId("warning"),
        phoneEnc: deps.pii.encrypt(phone),
        phoneHash: deps.pii.hash(phone),
        externalId: `${prefix}-${start + i}`,
      };
    });
    await db.insert(alerts).values(
      chunk.map((c) => ({
        id: c.alertId,
        stationId: "stn_bench",
        postId: "pst_bench",
        stage: "acknowledged" as const,
        type: "call" as const,
        fraudType: "fake_customer_service" as const,
        riskLevel: "high" as const,
        subjectPhoneEnc: c.phoneEnc,
        subjectPhoneHash: c.phoneHash,
        receivedAt: now,
        pushedAt: now,
        acknowledgedAt: now,
        acknowledgedBy: "off_bench",
        deadlineKind: "contact" as const,
        deadlineAt: new Date(now.getTime() + 15 * 60_000),
      })),
    );
    await db.insert(warnings).values(
      chunk.map((c) => ({
        id: c.warningId,
        sourceId: "src_bench",
        externalId: c.externalId,
        alertId: c.alertId,
        type: "call" as const,
        fraudType: "fake_customer_service" as const,
        riskLevel: "high" as const,
        subjectPhoneEnc: c.phoneEnc,
        subjectPhoneHash: c.phoneHash,
        indicators: [],
        detectedAt: now,
        receivedAt: now,
      })),
    );
    ids.push(...chunk.map((c) => c.alertId));
  }
  return ids;
}

const outcome = (alertId: string) =>
  recordOutcome(deps, principal, alertId, { outcome: "dissuaded", amountProtected: 5_000_000 });

/**
 * Runs `work` over `ids`, `CONCURRENCY` at a time; returns items per second and the CPU time per item (user +
 * system, ms) of this process and, when PostgreSQL runs on this machine, of the bench database's backends: on
 * two shared cores the rate follows the CPU per item, so these say where an item's cost is.
 */
async function perSecond(ids: string[], work: (id: string) => Promise<unknown>) {
  const limit = pLimit(CONCURRENCY);
  const t0 = performance.now();
  const cpu = serverCpu(benchUrl ? adminUrl : undefined, DB_NAME);
  await Promise.all(ids.map((id) => limit(() => work(id))));
  const rate = ids.length / ((performance.now() - t0) / 1000);
  const { nodeMs, pgMs } = await cpu();
  return { rate, cpuMs: nodeMs / ids.length, pgMs: pgMs === undefined ? undefined : pgMs / ids.length };
}

/** "client CPU 0.61 ms, PostgreSQL 0.71 ms each", PostgreSQL's share only where it could be read. */
const cpuEach = ({ cpuMs, pgMs }: { cpuMs: number; pgMs: number | undefined }) =>
  `client CPU ${fmt(cpuMs, 2)} ms${pgMs === undefined ? "" : `, PostgreSQL ${fmt(pgMs, 2)} ms`} each`;

async function feedbackCount(status?: "delivered" | "pending"): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(feedbackEvents)
    .where(status ? eq(feedbackEvents.status, status) : sql`true`);
  return row?.n ?? 0;
}

let exitCode = 0;
let workers: Awaited<ReturnType<typeof startWorkers>> | undefined;
try {
  step(`creating ${OUTCOMES * 2 + RATE * SECONDS + 50} acknowledged alerts`);
  const warm = await acknowledgedAlerts(50, "warm");
  const measured = await acknowledgedAlerts(OUTCOMES, "out");
  const bare = await acknowledgedAlerts(OUTCOMES, "bare");
  const paced = await acknowledgedAlerts(RATE * SECONDS, "lat");

  // Warm-up: JIT, prepared statements, pool connections.
  await perSecond(warm, outcome);

  // 1. Outcome recordings per second, and the bare UPDATE baseline.
  step(`recording ${OUTCOMES} outcomes through recordOutcome, ${CONCURRENCY} at a time`);
  const outcomes = await perSecond(measured, outcome);
  step(`baseline: ${OUTCOMES} bare conditional UPDATEs`);
  const bareUpdates = await perSecond(bare, (id) =>
    db
      .update(alerts)
      .set({
        stage: "verified",
        outcome: "dissuaded",
        amountProtected: 5_000_000,
        verifiedAt: new Date(),
        verifiedBy: "off_bench",
        deadlineKind: null,
        deadlineAt: null,
        version: sql`${alerts.version} + 1`,
      })
      .where(and(eq(alerts.id, id), eq(alerts.stage, "acknowledged"), eq(alerts.version, 1))),
  );
  const recorded = await feedbackCount();
  if (recorded !== OUTCOMES + warm.length)
    throw new Error(`expected ${OUTCOMES + warm.length} feedback events, found ${recorded}`);

  // 2. The workers deliver the backlog.
  step(`delivering the backlog of ${recorded} callbacks`);
  const t0 = performance.now();
  workers = await startWorkers(deps, ["feedback"]);
  await waitFor(
    "backlog delivered",
    async () => (await feedbackCount("delivered")) === recorded,
    300_000,
    50,
  );
  const callbacksPerSecond = recorded / ((performance.now() - t0) / 1000);

  // 3. Outcome-to-callback latency at a steady rate, workers idle and listening.
  step(`latency: ${RATE} outcomes/s for ${SECONDS} s`);
  const committedAt = new Map<string, number>();
  const intervalMs = 1000 / RATE;
  const inFlight: Promise<void>[] = [];
  const pace0 = performance.now();
  for (let i = 0; i < paced.length; i++) {
    const due = pace0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = paced[i] as string;
    inFlight.push(
      outcome(id).then(() => {
        committedAt.set(id, performance.now());
      }),
    );
  }
  await Promise.all(inFlight);
  await waitFor("paced callbacks delivered", () => paced.every((id) => arrivals.has(id)), 60_000, 20);
  const latency = summarize(
    paced.map((id) => (arrivals.get(id) as number) - (committedAt.get(id) as number)),
  );

  // Baseline: the receiver round trip alone, signed as a callback is.
  const probe = JSON.stringify({ probe: true });
  const floor: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    const res = await fetch(callbackUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature": signPayload(secret, probe, Math.floor(Date.now() / 1000)),
      },
      body: probe,
    });
    await res.arrayBuffer();
    floor.push(performance.now() - s);
  }
  const roundTrip = summarize(floor);

  console.log("");
  console.log("| measurement | result |");
  console.log("| --- | --- |");
  console.log(
    `| outcomes recorded through recordOutcome (${CONCURRENCY} concurrent, ${OUTCOMES}) | ${fmt(outcomes.rate)} /s (${cpuEach(outcomes)}) |`,
  );
  console.log(
    `| baseline: bare conditional UPDATE to verified, same concurrency | ${fmt(bareUpdates.rate)} /s (${cpuEach(bareUpdates)}) |`,
  );
  console.log(
    `| callbacks delivered from a backlog of ${recorded} (feedback workers, local receiver) | ${fmt(callbacksPerSecond)} /s |`,
  );
  console.log(
    `| outcome committed → callback received, ${RATE}/s for ${SECONDS} s (n=${latency.n}) | p50 ${fmt(latency.p50, 1)} ms, p95 ${fmt(latency.p95, 1)} ms, p99 ${fmt(latency.p99, 1)} ms, max ${fmt(latency.max, 1)} ms |`,
  );
  console.log(
    `| baseline: bare signed POST to the same receiver (n=${roundTrip.n}) | p50 ${fmt(roundTrip.p50, 2)} ms, p99 ${fmt(roundTrip.p99, 2)} ms |`,
  );
  console.log(`load avg  ${loadAverage()} (1/5/15 min) at end`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await workers?.stop();
  await database.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  if (adminUrl) await dropDatabase(adminUrl, DB_NAME);
  rmSync(scratch, { recursive: true, force: true });
  step("done");
}
process.exit(exitCode);
