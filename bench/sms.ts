/**
 * `npm run bench:sms [-- --count N --workers W --urgent-per-second U --baseline-seconds S --flood queue|release]`: the SMS dispatch
 * engine under a bulk flood, through the local runtime on PostgreSQL.
 *
 *  - A simulated gateway (node:http on 127.0.0.1, on a thread of its own, answering in 20–80 ms) stands in
 *    for the SMS provider; it records when each request arrived, its parts, its number and which worker
 *    sent it.
 *  - W local runtimes (`src/local/main.ts`, WORKERS=sms-urgent,sms-bulk, SMS_CHANNEL=http at the gateway)
 *    in child processes share one limiter: global 500 parts/s on the channel; two partners at 300 and 200
 *    parts/s (sent on their behalf through the same gateway, so all three scopes bind).
 *  - Phase 1, baseline: a trickle of urgent SMS (victim warnings) alone, U per second for S seconds (20 and
 *    30 by default), queued by a process of its own (support/urgent-producer.ts).
 *  - Phase 2: N bulk reminders (60% partner A, 40% B by count; one in five long enough for two parts; 20
 *    "hot" numbers get 60 each, more than their provider cap of 50 allows) queued as fast as queueSms takes
 *    them (`--flood queue`) or released as the night's deferred reminders at 10:00 (`--flood release`), with
 *    the same urgent trickle running throughout.
 * Printed: achieved rate per scope over the steady part of phase 2 (first and last 5 s of bulk left out)
 * against its limit; the busiest one-second window per scope against limit + burst; numbers that got more
 * than the cap; urgent latency (queueSms called → gateway has the request) in both phases; limiter decision
 * time (a probe deciding every 100 ms on the scopes partner A's reminders share with every sender — the
 * gateway's global scope and partner A's — taking one part when granted, counted in those scopes' rates) and,
 * as its baseline, a bare `select 1` on the same connection.
 * Needs DATABASE_URL (admin-capable: creates and drops af_bench_sms + BENCH_DB_SUFFIX). Bounded: every wait has a timeout; all
 * traffic stays on 127.0.0.1 and the DATABASE_URL host.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { partners, stations } from "../schema";
import { loadConfig } from "../src/config";
import { queryRows } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { buildLocalDeps } from "../src/local/deps";
import { createLog } from "../src/log";
import { releaseDeferredReminders } from "../src/parcels/release";
import { transact } from "../src/queue/outbox";
import { queueSms, type SmsToQueue } from "../src/sms/dispatch/queue-sms";
import { rateScopes } from "../src/sms/rate/scopes";
import { busiestSecond } from "./busiest-second";
import { childRuntimes } from "./support/child-runtimes";
import { benchDatabase, dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { deferFlood } from "./support/deferred-flood";
import { loadAverage, machine, machineCpu, processesCpuSeconds } from "./support/machine";
import { progress } from "./support/progress";
import { type Arrival, startSimulatedGateway } from "./support/sms-gateway";
import { decisionProbe, PROBE_PARTS, type ProbeResult } from "./support/sms-probes";
import { fmt, summarize } from "./support/stats";
import { startUrgentProducer } from "./support/urgent-producer";
import { sleep, waitFor } from "./support/wait";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: process.env.BENCH_SMS_COUNT ?? "100000" },
    workers: { type: "string", default: process.env.BENCH_SMS_WORKERS ?? "2" },
    // 20/s: 600 samples alone in 30 s and about 1,000 during a 20,000-SMS release, so that the p99 is the 6th
    // to 10th slowest warning, not the 3rd (5/s until 2026-12-05, 2/s until 2026-12-03): at 5/s the ratio
    // moved 0.95-2.13x between runs of the same code (BENCHMARKS.md). 20 parts/s is 4% of the gateway's rate.
    "urgent-per-second": { type: "string", default: process.env.BENCH_SMS_URGENT_PER_SECOND ?? "20" },
    "baseline-seconds": { type: "string", default: process.env.BENCH_SMS_BASELINE_SECONDS ?? "30" },
    /** Urgent in a runtime of its own (WORKERS=sms-urgent) beside the W bulk runtimes. */
    split: { type: "boolean", default: false },
    /**
     * How the flood is queued: `queue`, queueSms as fast as it takes them (1,000 a transaction); `release`,
     * as the station queues the night's deferred reminders at 10:00 — N deferred parcel events, released
     * by the parcels.release consumer's own code at REMINDER_RELEASE_PER_SECOND.
     */
    flood: { type: "string", default: process.env.BENCH_SMS_FLOOD ?? "queue" },
  },
});
const COUNT = Number(args.count);
const WORKERS = Number(args.workers);
const URGENT_PER_SECOND = Number(args["urgent-per-second"]);
const BASELINE_SECONDS = Number(args["baseline-seconds"]);
const SPLIT = Boolean(args.split);
const FLOOD = args.flood === "release" ? "release" : "queue";

const GLOBAL = { rate: 500, burst: 100 }; // the engine's default burst: a fifth of a second's rate
const PARTNERS = [
  { id: "par_bench_a", name: "A", rate: 300, burst: 60, share: 0.6 },
  { id: "par_bench_b", name: "B", rate: 200, burst: 40, share: 0.4 },
];
const CAP = 50;
const HOT_NUMBERS = 20;
const HOT_EACH = 60;
const DB_NAME = benchDatabase("af_bench_sms");

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  console.error("bench:sms needs DATABASE_URL (PostgreSQL): several processes share one limiter.");
  process.exit(1);
}
const step = progress();

// --- the simulated gateway ------------------------------------------------------------------------------
const gateway = await startSimulatedGateway();
const { arrivals, arrivedAt, smsApi } = gateway;
const gatewayUrl = gateway.url;

// --- database, seed, the bench's own handle ---------------------------------------------------------------
const url = await recreateDatabase(adminUrl, DB_NAME);
const keys = { encryptionKey: randomBytes(32), hashKey: randomBytes(32) };
const env = {
  NODE_ENV: "production",
  DATABASE_URL: url,
  PII_ENCRYPTION_KEY: keys.encryptionKey.toString("base64"),
  PII_HASH_KEY: keys.hashKey.toString("base64"),
  SEED_DEMO: "false",
  LOG_LEVEL: "info",
  WORKERS: "sms-urgent,sms-bulk",
  SMS_CHANNEL: "http",
  SMS_GLOBAL_PARTS_PER_SECOND: JSON.stringify({ http: GLOBAL.rate }),
  SMS_GLOBAL_BURST: JSON.stringify({ http: GLOBAL.burst }),
};
// The bench's own handle queues (or releases) the flood: its sending hours are the whole day.
const config = loadConfig({
  ...env,
  SMS_HTTP_API: smsApi("bench"),
  REMINDER_HOURS: "00:00-24:00",
  REMINDER_RELEASE_PER_SECOND: process.env.REMINDER_RELEASE_PER_SECOND,
});
const database = await openDatabase({ url, max: 6 });
await migrateDatabase(database, url);
const deps = buildLocalDeps({ config, database, log: createLog("warn"), keys });
// The limiter probe has a connection of its own: waiting behind the flood's inserts in this process's pool
// would count as the engine's latency. The urgent trickle has a process of its own (urgent-producer.ts).
const probeDatabase = await openDatabase({ url, max: 1 });
await deps.db.insert(stations).values({ id: "stn_bench", name: "Bench station" });
await deps.db.insert(partners).values(
  PARTNERS.map((p) => ({
    id: p.id,
    stationId: "stn_bench",
    name: `Courier ${p.name}`,
    channel: "sns" as const, // sent for the partner through the police channel: the shared gateway
    partsPerSecond: p.rate,
    dailyQuota: 10_000_000,
  })),
);

// --- the local runtimes -----------------------------------------------------------------------------------
const spawned = childRuntimes();

const runtimes = SPLIT
  ? [...Array.from({ length: WORKERS }, () => "sms-bulk"), "sms-urgent"]
  : Array.from({ length: WORKERS }, () => "sms-urgent,sms-bulk");
for (const [i, queues] of runtimes.entries()) {
  await spawned.start(`runtime ${i}`, { ...env, WORKERS: queues, SMS_HTTP_API: smsApi(`w${i}`) });
}
await sleep(1_000); // workers start right after the server listens
step(`runtimes up (${runtimes.join(" | ")}); gateway ${gatewayUrl}`);

// --- probes: urgent trickle and limiter decisions ---------------------------------------------------------
const urgentQueuedAt = new Map<string, number>();
const producer = startUrgentProducer(
  { ...env, SMS_HTTP_API: smsApi("bench") },
  URGENT_PER_SECOND,
  urgentQueuedAt,
);
const trickle = producer.trickle;
// The scopes partner A's reminders take from, built as the engine builds them from the same settings: the
// probe waits on the rows every sender of them waits on.
const probePartner = PARTNERS[0] as (typeof PARTNERS)[number];
const probeScopes = rateScopes(config, deps.sms.name, {
  id: probePartner.id,
  partsPerSecond: probePartner.rate,
  smsApi: undefined,
});
const probe = decisionProbe(probeDatabase, probeScopes);

// --- phase 1: urgent alone --------------------------------------------------------------------------------
step(`phase 1: ${URGENT_PER_SECOND} urgent/s alone for ${BASELINE_SECONDS} s`);
const phase1End = performance.now() + BASELINE_SECONDS * 1000;
const [quietIds, quietProbe] = await Promise.all([
  trickle("quiet", () => performance.now() > phase1End),
  probe(() => performance.now() > phase1End),
]);
await waitFor("baseline urgent SMS at the gateway", () => quietIds.every((id) => arrivedAt.has(id)), 30_000);

// --- phase 2: the flood -----------------------------------------------------------------------------------
const long = `【昌吉公安】${"警惕冒充快递客服以理赔为由索要验证码的诈骗，".repeat(3)}拒收请回复R`;
const short = "【昌吉公安】警惕冒充客服退款诈骗，拒收请回复R";
const hotCount = Math.min(HOT_NUMBERS * HOT_EACH, Math.floor(COUNT / 10));
function bulkItem(i: number): SmsToQueue {
  const partner = (Math.random() < (PARTNERS[0] as { share: number }).share ? PARTNERS[0] : PARTNERS[1]) as {
    id: string;
  };
  const to =
    i < hotCount
      ? `+86138${String(i % HOT_NUMBERS).padStart(8, "0")}`
      : `+86137${String(i).padStart(8, "0")}`;
  return {
    purpose: "parcel_reminder",
    lane: "bulk",
    partnerId: partner.id,
    to,
    body: i % 5 === 0 ? long : short,
    dedupeKey: `bench-bulk-${i}`,
  };
}

/** CPU seconds used so far by this benchmark's processes: this one (gateway, queueing), the runtimes, their PostgreSQL backends. */
async function ownCpuSeconds(): Promise<{ bench: number; runtimes: number; postgres: number }> {
  const backends = await queryRows<{ pid: number }>(
    deps.db,
    sql`select pid from pg_stat_activity where datname = ${DB_NAME}`,
  );
  return {
    bench: processesCpuSeconds([process.pid]),
    runtimes: processesCpuSeconds(spawned.children.map((c) => c.pid as number)),
    postgres: processesCpuSeconds(backends.map((b) => b.pid)),
  };
}

// Shuffle the hot numbers in, so their caps bite during the run rather than at its start.
const order = Array.from({ length: COUNT }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j] as number, order[i] as number];
}

if (FLOOD === "release") {
  step(`deferring ${fmt(COUNT)} parcel events overnight, to be released`);
  await deferFlood(deps, "stn_bench", order.map(bulkItem));
}

let bulkDone = false;
const cpu = machineCpu();
const ownCpuBefore = await ownCpuSeconds();
const loadBefore = loadAverage();
step(
  `phase 2: ${FLOOD === "release" ? "releasing" : "queueing"} ${fmt(COUNT)} bulk SMS, urgent trickle and probe running`,
);
const loadedTrickle = trickle("load", () => bulkDone);
const loadedProbe = probe(() => bulkDone);
const enqueueStart = performance.now();
if (FLOOD === "release") {
  // The consumer's ticks, back to back: each run paces itself and stops within 45 s.
  let released = 0;
  while (released < COUNT) {
    const run = await releaseDeferredReminders(deps, deps.log, {
      perSecond: deps.config.REMINDER_RELEASE_PER_SECOND,
    });
    if (run.released + run.suppressed === 0)
      throw new Error(`only ${released} of ${COUNT} deferred reminders released`);
    released += run.released;
  }
} else {
  for (let i = 0; i < COUNT; i += 1000) {
    await transact(deps, (tx, publish) =>
      queueSms(deps, tx, publish, order.slice(i, i + 1000).map(bulkItem)),
    );
  }
}
const enqueueEnd = performance.now();
const enqueueSeconds = (enqueueEnd - enqueueStart) / 1000;
step(`queued in ${fmt(enqueueSeconds, 1)} s; waiting for the bulk lane to drain`);

const expectedSeconds = (COUNT * 1.2) / GLOBAL.rate;
const drainDeadline = performance.now() + (expectedSeconds * 3 + 300) * 1000;
let lastReport = 0;
for (;;) {
  const [row] = await queryRows<{ left: number; held: number }>(
    deps.db,
    sql`select count(*) filter (where hold_reason is null or hold_reason <> 'per_number_cap')::int as left,
               count(*) filter (where hold_reason = 'per_number_cap')::int as held
        from sms_messages where lane = 'bulk' and status = 'queued'`,
  );
  if (row?.left === 0) break;
  if (performance.now() > drainDeadline)
    throw new Error(`${row?.left} bulk SMS still queued at the deadline`);
  if (performance.now() - lastReport > 15_000) {
    lastReport = performance.now();
    step(`${fmt(row?.left ?? 0)} bulk left, ${fmt(arrivals.length)} requests at the gateway`);
  }
  await sleep(500);
}
bulkDone = true;
const [loadedIds, loadedProbeResult] = await Promise.all([loadedTrickle, loadedProbe]);
await waitFor("urgent SMS at the gateway", () => loadedIds.every((id) => arrivedAt.has(id)), 60_000);
const cpuUsed = cpu();
const ownCpuAfter = await ownCpuSeconds();
const cores = (k: keyof typeof ownCpuAfter) => (ownCpuAfter[k] - ownCpuBefore[k]) / cpuUsed.seconds;
const ownCores = cores("bench") + cores("runtimes") + cores("postgres");
const loadAfter = loadAverage();

// --- analysis ---------------------------------------------------------------------------------------------
const messages = await queryRows<{
  id: string;
  lane: string;
  partner_id: string | null;
  status: string;
  hold_reason: string | null;
}>(deps.db, sql`select id, lane, partner_id, status, hold_reason from sms_messages`);
const byId = new Map(messages.map((m) => [m.id, m]));
const bulkArrivals = arrivals.filter((a) => byId.get(a.outId)?.lane === "bulk").sort((a, b) => a.at - b.at);
const firstBulk = (bulkArrivals[0] as Arrival).at;
const lastBulk = (bulkArrivals.at(-1) as Arrival).at;
const steadyFrom = firstBulk + 5_000;
const steadyTo = lastBulk - 5_000;

/** Parts the probe was granted in the steady window: taken from the scopes' budget though never sent. */
const probeParts = (r: ProbeResult) =>
  r.granted.filter((at) => at >= steadyFrom && at < steadyTo).length * PROBE_PARTS;

function scopeFigures(
  name: string,
  limit: number,
  burst: number,
  of: (a: Arrival) => boolean,
  probed: boolean,
) {
  const mine = arrivals.filter(of);
  const steadySeconds = (steadyTo - steadyFrom) / 1000;
  const steadyParts = mine
    .filter((a) => a.at >= steadyFrom && a.at < steadyTo)
    .reduce((s, a) => s + a.parts, 0);
  const probeRate = probed ? probeParts(loadedProbeResult) / steadySeconds : 0;
  // The limit binds sends and the probe's grants together: both count towards what the scope achieved.
  const rate = steadyParts / steadySeconds + probeRate;
  const busiest = busiestSecond(mine);
  // When it began, in seconds after the first bulk SMS: whether it came while the flood was being queued.
  const at = (busiest.at - firstBulk) / 1000;
  return { name, limit, burst, rate, probeRate, share: rate / limit, busiest: busiest.parts, at };
}
const scopes = [
  scopeFigures("global (gateway)", GLOBAL.rate, GLOBAL.burst, () => true, true),
  ...PARTNERS.map((p) =>
    scopeFigures(
      `partner ${p.name}`,
      p.rate,
      p.burst,
      (a) => byId.get(a.outId)?.partner_id === p.id,
      p.id === probePartner.id,
    ),
  ),
];

const perNumber = new Map<string, number>();
for (const a of arrivals) perNumber.set(a.mobile, (perNumber.get(a.mobile) ?? 0) + 1);
const capViolations = [...perNumber.values()].filter((n) => n > CAP).length;
const held = messages.filter((m) => m.hold_reason === "per_number_cap").length;
const bulkSubmitted = messages.filter((m) => m.lane === "bulk" && m.status === "submitted").length;
const failed = messages.filter((m) => m.status === "failed").length;
const doubles = arrivals.length - new Set(arrivals.map((a) => a.outId)).size;

const latency = (ids: string[]) =>
  summarize(ids.map((id) => (arrivedAt.get(id) as number) - (urgentQueuedAt.get(id) as number)));
const duringBulk = loadedIds.filter((id) => {
  const t = urgentQueuedAt.get(id) as number;
  return t >= firstBulk && t <= lastBulk;
});
const quiet = latency(quietIds);
const loaded = latency(duringBulk);
// The flood's first seconds also insert it (1,000 reminders a transaction): which part of the tail is that.
const whileQueueing = latency(duringBulk.filter((id) => (urgentQueuedAt.get(id) as number) < enqueueEnd));
const afterQueueing = latency(duringBulk.filter((id) => (urgentQueuedAt.get(id) as number) >= enqueueEnd));
const ratio = (p99: number) => `${fmt(p99 / quiet.p99, 2)}× the p99 alone`;
const decisionQuiet = summarize(quietProbe.decision);
const decisionLoaded = summarize(loadedProbeResult.decision);
const bareLoaded = summarize(loadedProbeResult.bare);
const workersSeen = [...new Set(arrivals.map((a) => a.worker))].sort();

const pgVersion = await postgresVersion(url);
const lines = [
  "",
  `bench:sms — ${fmt(COUNT)} bulk SMS (${fmt(bulkArrivals.reduce((s, a) => s + a.parts, 0))} parts), local runtimes working ${runtimes.join(" | ")} (seen at the gateway: ${workersSeen.join(", ")}), urgent ${URGENT_PER_SECOND}/s`,
  `${machine()}; ${pgVersion}; load average ${loadBefore} before, ${loadAfter} after; whole machine busy ${fmt(cpuUsed.busyCores, 2)} of 2 cores during phase 2, of which this benchmark ${fmt(ownCores, 2)} (runtimes ${fmt(cores("runtimes"), 2)}, their PostgreSQL backends ${fmt(cores("postgres"), 2)}, gateway and queueing ${fmt(cores("bench"), 2)})`,
  `${FLOOD === "release" ? `released by parcels.release at ${fmt(config.REMINDER_RELEASE_PER_SECOND)}/s` : "queued by queueSms, 1,000 a transaction"}: queueing took ${fmt(enqueueSeconds, 1)} s; bulk at the gateway from first to last: ${fmt((lastBulk - firstBulk) / 1000, 1)} s; steady window ${fmt((steadyTo - steadyFrom) / 1000, 1)} s`,
  "",
  "| scope | limit (parts/s) | achieved, steady (parts/s) | of which the probe | of limit | busiest 1-s window at the gateway (parts) | at (s) | burst | beyond limit + burst |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...scopes.map(
    (s) =>
      `| ${s.name} | ${s.limit} | ${fmt(s.rate, 1)} | ${fmt(s.probeRate, 1)} | ${fmt(s.share * 100, 1)}% | ${s.busiest} | ${fmt(s.at, 1)} | ${s.burst} | ${Math.max(0, s.busiest - s.limit - s.burst)} |`,
  ),
  "",
  "| measurement | result |",
  "| --- | --- |",
  `| numbers over the provider cap of ${CAP}/day at the gateway | ${capViolations} (${HOT_NUMBERS} numbers were sent ${HOT_EACH} each; ${fmt(held)} SMS held with per_number_cap) |`,
  `| bulk submitted / failed / sent twice | ${fmt(bulkSubmitted)} / ${failed} / ${doubles} |`,
  `| urgent latency, alone (n=${quiet.n}): p50 / p95 / p99 / max | ${fmt(quiet.p50)} / ${fmt(quiet.p95)} / ${fmt(quiet.p99)} / ${fmt(quiet.max)} ms |`,
  `| urgent latency, during the flood (n=${loaded.n}): p50 / p95 / p99 / max | ${fmt(loaded.p50)} / ${fmt(loaded.p95)} / ${fmt(loaded.p99)} / ${fmt(loaded.max)} ms; p99 ${ratio(loaded.p99)} |`,
  `| … of which queued while the flood was being queued (n=${whileQueueing.n}) / after (n=${afterQueueing.n}): p50 / p99 | ${fmt(whileQueueing.p50)} / ${fmt(whileQueueing.p99)} ms / ${fmt(afterQueueing.p50)} / ${fmt(afterQueueing.p99)} ms (p99 ${ratio(afterQueueing.p99)}) |`,
  `| limiter decision on the shared scopes (${probeScopes.map((p) => p.key).join(" + ")}, bulk lane, ${PROBE_PARTS} part), alone: p50 / p99 | ${fmt(decisionQuiet.p50, 1)} / ${fmt(decisionQuiet.p99, 1)} ms |`,
  `| limiter decision on the shared scopes during the flood (n=${decisionLoaded.n}, ${fmt(loadedProbeResult.granted.length)} granted, ${fmt(loadedProbeResult.refused)} refused): p50 / p95 / p99 | ${fmt(decisionLoaded.p50, 1)} / ${fmt(decisionLoaded.p95, 1)} / ${fmt(decisionLoaded.p99, 1)} ms |`,
  `| baseline: bare select 1, same connection, during the flood: p50 / p95 / p99 | ${fmt(bareLoaded.p50, 1)} / ${fmt(bareLoaded.p95, 1)} / ${fmt(bareLoaded.p99, 1)} ms |`,
  "",
];
process.stdout.write(lines.join("\n"));

await spawned.stop();
await producer.close();
await Promise.all([database.close(), probeDatabase.close()]);
await gateway.close();
if (!process.env.BENCH_KEEP_DB) await dropDatabase(adminUrl, DB_NAME);
step("done");
