/**
 * `npm run bench:parcels`: the local runtime (API + workers) on a fresh database, driven over HTTP on 127.0.0.1
 * by two partners posting 100,000 parcel events in batches of 500 (realistic repeat recipients: see
 * bench/parcels-load.ts), BENCH_CONCURRENCY requests in flight. Prints events decided per second (counted from
 * the rows stored, not from the answers) and request percentiles, and in the same run the baseline: bare batched
 * INSERTs of the same rows the runtime wrote (parcel events, cap reservations, SMS, their events and send jobs), a
 * transaction per 500 events, as many at once, same driver, fresh database.
 * Sending hours are set to the whole day so reminders take the full path (an SMS queued per reminder) whatever
 * the time the bench runs; the caps are the defaults (1/1d, 2/7d).
 * PGlite (temp data dir) by default; PostgreSQL when DATABASE_URL is set (databases af_bench_parcels*, recreated).
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { asc, count, inArray, like, sql } from "drizzle-orm";
import {
  jobs,
  parcelEvents,
  partnerApiKeys,
  partners,
  reminderReservations,
  smsEvents,
  smsMessages,
  stations,
} from "../schema";
import { loadConfig } from "../src/config";
import type { Database } from "../src/db/client";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { startLocalRuntime } from "../src/local/runtime";
import { seedDemo } from "../src/local/seed";
import { createLog } from "../src/log";
import { hashApiKey, newApiKey } from "../src/partners/keys";
import { type ParcelLoadResult, type ParcelRequest, parcelBatches, runParcelLoad } from "./parcels-load";
import { dropDatabase, postgresVersion, recreateDatabase } from "./support/databases";
import { loadAverage, machine, machineCpu } from "./support/machine";
import { fmt, summarize } from "./support/stats";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
/** Events offered per second, whatever the answers (open loop); unset: CONCURRENCY requests in flight. */
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const CLIENT = process.env.BENCH_CLIENT === "inline" ? "inline" : "child";
const TARGET = 5_000;

const adminUrl = process.env.DATABASE_URL;
const kind = adminUrl ? "postgres" : "pglite";
const scratch = mkdtempSync(join(tmpdir(), "af-bench-parcels-"));
const wallStarted = performance.now();
const step = (what: string) =>
  console.error(`[${fmt((performance.now() - wallStarted) / 1000, 1)} s] ${what}`);

async function load(
  requests: ParcelRequest[],
  concurrency: number,
  rate?: number,
): Promise<ParcelLoadResult> {
  if (CLIENT === "inline") return runParcelLoad(requests, concurrency, rate);
  const file = join(scratch, `requests-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(requests));
  const child = fork(fileURLToPath(new URL("./parcels-load.ts", import.meta.url)), ["--child"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<ParcelLoadResult>((resolve, reject) => {
    child.once("message", (result) => resolve(result as ParcelLoadResult));
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load client exited with ${code}`));
    });
    child.send({ file, concurrency, rate });
  });
}

console.log(`bench:parcels on ${kind === "postgres" ? "PostgreSQL" : "PGlite"}, client ${CLIENT}`);
console.log(`machine   ${machine()}`);
console.log(
  `database  ${adminUrl ? `${await postgresVersion(adminUrl)} (database af_bench_parcels)` : `PGlite 0.5 in ${scratch}`}`,
);
console.log(`date      ${new Date().toISOString()}`);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at start`);

// ---------------------------------------------------------------------------------------------------------
// The runtime under test

step("starting the runtime on a fresh database");
const benchUrl = adminUrl ? await recreateDatabase(adminUrl, "af_bench_parcels") : undefined;
const config = loadConfig({
  NODE_ENV: "development",
  PORT: "0",
  DATA_DIR: join(scratch, "runtime"),
  LOG_LEVEL: "warn",
  OUTBOX_RECEIPT_DELAY_MS: "-1",
  SEED_DEMO: "false",
  REMINDER_HOURS: "00:00-24:00",
  WORKERS: process.env.BENCH_WORKERS ?? "all",
  ...(benchUrl ? { DATABASE_URL: benchUrl } : {}),
});
const runtime = await startLocalRuntime(config, createLog(config.LOG_LEVEL));
const db = runtime.deps.db;
const demo = await seedDemo(runtime.deps, runtime.baseUrl);
// A second courier beside the demo one: the caps are counted across both.
const second = { id: "par_bench_second", apiKey: newApiKey() };
const [demoPartner] = await db.select().from(partners);
await db.insert(partners).values({
  id: second.id,
  stationId: demoPartner?.stationId as string,
  name: "Second courier",
  channel: "sns",
});
await db.insert(partnerApiKeys).values({ partnerId: second.id, keyHash: hashApiKey(second.apiKey) });
const target = (p: { id: string; apiKey: string }) => ({
  url: `http://127.0.0.1:${runtime.port}/v1/partners/${p.id}/parcel-events`,
  apiKey: p.apiKey,
});
const targets = [target(demo.partner), target(second)];

step("building the requests");
const warm = parcelBatches(2_000, 100, targets, "WU");
const requests = parcelBatches(EVENTS, BATCH, targets, "PB");
const distinct = new Set(
  requests.flatMap((r) =>
    (JSON.parse(r.body) as { events: { recipientPhone: string }[] }).events.map((e) =>
      e.recipientPhone.replace(/\D/g, "").slice(-11),
    ),
  ),
).size;

step("warming up");
await load(warm, 2);

const pacing = RATE ? `offered at ${fmt(RATE)} events/s` : `${CONCURRENCY} in flight`;
step(`measuring: ${fmt(EVENTS)} events in ${requests.length} requests of ${BATCH}, ${pacing}`);
const cpu = machineCpu();
const ownCpu = process.cpuUsage();
const result = await load(requests, CONCURRENCY, RATE);
const busy = cpu();
const runtimeCpu = process.cpuUsage(ownCpu);
const [stored] = await db
  .select({ n: count() })
  .from(parcelEvents)
  .where(like(parcelEvents.waybillNo, "PB%"));
const decided = stored?.n ?? 0;
const rate = decided / (result.elapsedMs / 1000);
const rt = summarize(result.requestMs);

// What the runtime wrote for these events: the baseline inserts exactly these rows.
step("reading back the rows the runtime wrote");
const eventRows = await db
  .select()
  .from(parcelEvents)
  .where(like(parcelEvents.waybillNo, "PB%"))
  .orderBy(asc(parcelEvents.receivedAt), asc(parcelEvents.id));
const eventIds = new Set(eventRows.map((e) => e.id));
const reservationRows = (await db.select().from(reminderReservations)).filter((r) =>
  eventIds.has(r.parcelEventId),
);
const messageIds = eventRows.flatMap((e) => (e.messageId ? [e.messageId] : []));
const messageRows: (typeof smsMessages.$inferSelect)[] = [];
for (let i = 0; i < messageIds.length; i += 5_000) {
  messageRows.push(
    ...(await db
      .select()
      .from(smsMessages)
      .where(inArray(smsMessages.id, messageIds.slice(i, i + 5_000)))),
  );
}
const stationRows = await db.select().from(stations);
const partnerRows = await db.select().from(partners);
step("stopping the runtime");
await runtime.stop();
if (adminUrl) await dropDatabase(adminUrl, "af_bench_parcels");

// ---------------------------------------------------------------------------------------------------------
// Baseline: bare batched INSERTs of the same rows, a transaction per BATCH events, CONCURRENCY at once.

step("baseline: bare batched INSERTs of the same rows");
const baseUrl = adminUrl ? await recreateDatabase(adminUrl, "af_bench_parcels_base") : undefined;
const base: Database = await openDatabase(baseUrl ? { url: baseUrl } : { dataDir: join(scratch, "base") });
await migrateDatabase(base, baseUrl);
await base.db.insert(stations).values(stationRows);
await base.db.insert(partners).values(partnerRows);
const reservationsByEvent = new Map(reservationRows.map((r) => [r.parcelEventId, r]));
const messagesById = new Map(messageRows.map((m) => [m.id, m]));
const chunks: {
  events: typeof eventRows;
  reservations: typeof reservationRows;
  messages: typeof messageRows;
}[] = [];
for (let i = 0; i < eventRows.length; i += BATCH) {
  const events = eventRows.slice(i, i + BATCH);
  chunks.push({
    events,
    reservations: events.flatMap((e) => {
      const r = reservationsByEvent.get(e.id);
      return r ? [{ ...r, id: undefined as unknown as number }] : [];
    }),
    messages: events.flatMap((e) => {
      const m = e.messageId ? messagesById.get(e.messageId) : undefined;
      return m
        ? [{ ...m, status: "queued" as const, submittedAt: null, finishedAt: null, providerMessageId: null }]
        : [];
    }),
  });
}
let nextChunk = 0;
const baseCpu = machineCpu();
const baseStarted = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (nextChunk < chunks.length) {
      const chunk = chunks[nextChunk++] as (typeof chunks)[number];
      await base.db.transaction(async (tx) => {
        // The same one-JSON-parameter insert the runtime uses for parcel events (src/parcels/intake.ts).
        await tx.execute(
          sql`insert into parcel_events select * from jsonb_populate_recordset(null::parcel_events, ${JSON.stringify(
            chunk.events.map((e) => ({
              id: e.id,
              partner_id: e.partnerId,
              waybill_no: e.waybillNo,
              kind: e.kind,
              recipient_enc: e.recipientEnc,
              recipient_hash: e.recipientHash,
              area_code: e.areaCode,
              pickup_point: e.pickupPoint,
              occurred_at: e.occurredAt,
              received_at: e.receivedAt,
              decision: e.decision,
              reason: e.reason,
              campaign_id: e.campaignId,
              template_id: e.templateId,
              message_id: e.messageId,
              deferred_until: e.deferredUntil,
              text: e.text,
              // Every column: jsonb_populate_recordset leaves a missing key null, defaults and all.
              test: e.test,
              personal_data_purged_at: e.personalDataPurgedAt,
            })),
          )}::jsonb)`,
        );
        if (chunk.reservations.length) {
          await tx.insert(reminderReservations).values(chunk.reservations.map(({ id: _id, ...r }) => r));
        }
        if (chunk.messages.length) {
          await tx.insert(smsMessages).values(chunk.messages);
          await tx
            .insert(smsEvents)
            .values(chunk.messages.map((m) => ({ messageId: m.id, status: "queued" as const })));
          await tx.insert(jobs).values(
            chunk.messages.map((m) => ({
              queue: "sms-bulk",
              payload: { type: "sms.send", v: 1, messageId: m.id },
              visibleAt: sql`now()`,
            })),
          );
        }
      });
    }
  }),
);
const baseMs = performance.now() - baseStarted;
const baseBusy = baseCpu();
const [baseStored] = await base.db.select({ n: count() }).from(parcelEvents);
const baseRate = (baseStored?.n ?? 0) / (baseMs / 1000);
await base.close();
if (adminUrl) await dropDatabase(adminUrl, "af_bench_parcels_base");

// ---------------------------------------------------------------------------------------------------------

const statuses = Object.entries(result.statuses)
  .map(([s, n]) => `${s}×${n}`)
  .join(" ");
const outcomes = Object.entries(result.results)
  .sort(([, a], [, b]) => b - a)
  .map(([k, n]) => `${k} ${fmt(n)}`)
  .join(", ");
const cores = (b: { busyCores: number }) =>
  `machine busy ${b.busyCores.toFixed(2)} of ${cpus().length} cores`;
console.log(
  `\nparcel events (${fmt(EVENTS)} events, ${fmt(distinct)} distinct recipients, 2 partners, batches of ${BATCH}, ${pacing})`,
);
console.log(
  `  runtime       ${fmt(rate)} events decided/s${kind === "postgres" ? `  (target ≥ ${fmt(TARGET)}/s)` : ""}\n` +
    `                ${fmt(decided)} events stored in ${fmt(result.elapsedMs)} ms; ${result.requests} requests (${statuses}); ${cores(busy)}\n` +
    `                request p50 ${fmt(rt.p50, 1)} ms  p95 ${fmt(rt.p95, 1)} ms  p99 ${fmt(rt.p99, 1)} ms  max ${fmt(rt.max, 1)} ms\n` +
    `                runtime process CPU ${fmt((runtimeCpu.user + runtimeCpu.system) / 1e6, 1)} s = ${fmt((runtimeCpu.user + runtimeCpu.system) / Math.max(1, decided), 0)} µs per event (PostgreSQL's not included)`,
);
console.log(`  decisions     ${outcomes}`);
console.log(
  `  bare INSERT   ${fmt(baseRate)} events/s  (the same ${fmt(eventRows.length)} events, ${fmt(reservationRows.length)} reservations, ${fmt(messageRows.length)} SMS + their events and jobs; ${fmt(baseMs)} ms; ${cores(baseBusy)})`,
);
// Paced, the runtime decides what it is offered: the ratio of two throughputs only means something unpaced.
if (!RATE) console.log(`  ratio         runtime ÷ bare INSERT ${(rate / baseRate).toFixed(2)}`);
console.log(`\nload avg  ${loadAverage()} (1/5/15 min) at end`);
rmSync(scratch, { recursive: true, force: true });
console.log(`done in ${fmt((performance.now() - wallStarted) / 1000, 1)} s`);
