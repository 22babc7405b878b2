/**
 * `npm run bench:retention`: what the retention purge (src/privacy/retention.ts) costs, on PostgreSQL.
 *  - purge rate: ROWS parcel events past PII_RETENTION_DAYS cleared by purgeParcelEvents in batches of
 *    PII_PURGE_BATCH_SIZE, against a bare UPDATE of as many other rows by primary key in batches of the same
 *    size (the baseline: the write alone, without finding what is due). The two alternate batch by batch.
 *  - write cost of its index: INSERTs of parcel events with the partial index parcel_events_unpurged_idx
 *    and without it, alternating in rounds of INSERT_BATCH rows: what the purge adds to every event intake.
 * Needs DATABASE_URL (an admin-capable URL: it creates and drops af_bench_retention).
 */
import { loadConfig } from "../src/config";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { connectPostgres } from "../src/db/postgres";
import { purgeParcelEvents } from "../src/privacy/retention";
import { dropDatabase, recreateDatabase } from "./support/databases";
import { startPostgresBench } from "./support/postgres-bench";
import { fmt } from "./support/stats";

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const INSERT_ROWS = Number(process.env.BENCH_INSERT_ROWS ?? 100_000);
const INSERT_BATCH = 1_000;
const NAME = "af_bench_retention";

const adminUrl = await startPostgresBench("bench:retention", NAME);

const url = await recreateDatabase(adminUrl, NAME);
const database = await openDatabase({ url, max: 2 });
await migrateDatabase(database, url);
const sql = connectPostgres(url, { max: 1, onnotice: () => {} });
const config = loadConfig({ NODE_ENV: "development", DATABASE_URL: url, LOG_LEVEL: "warn" });
const deps = { db: database.db, clock: { now: () => new Date() }, config };
const batch = config.PII_PURGE_BATCH_SIZE;

await sql`insert into stations (id, name) values ('stn_bench', 'Bench station')`;
await sql`insert into partners (id, station_id, name, channel) values ('par_bench', 'stn_bench', 'Bench courier', 'sns')`;

/** Parcel events shaped like real ones: a sealed number (AES-GCM base64 is about this long) and its hash. */
async function seedEvents(prefix: string, from: number, n: number, receivedDaysAgo: number): Promise<void> {
  await sql.unsafe(
    `insert into parcel_events (id, partner_id, waybill_no, kind, recipient_enc, recipient_hash, area_code,
                                pickup_point, occurred_at, received_at, decision, reason)
     select '${prefix}' || lpad(i::text, 10, '0'), 'par_bench', '${prefix}' || i, 'arrived_at_pickup_point',
            encode(sha512(i::text::bytea), 'base64'), encode(sha256(i::text::bytea), 'base64'), '652301105201',
            '庙工村驿站', now() - interval '${receivedDaysAgo} days', now() - interval '${receivedDaysAgo} days',
            'suppressed', 'no_campaign'
     from generate_series(${from}, ${from + n - 1}) i`,
  );
}

console.log(`\nseeding ${fmt(ROWS)} events past the retention period and ${fmt(ROWS)} recent ones`);
await seedEvents("old_", 0, ROWS, config.PII_RETENTION_DAYS + 10);
await seedEvents("new_", 0, ROWS, 1);
await sql`vacuum analyze parcel_events`;

// Purge and baseline, batch by batch in turn.
let purgeMs = 0;
let purged = 0;
let bareMs = 0;
let bare = 0;
for (let offset = 0; ; offset += batch) {
  let t = performance.now();
  const n = await purgeParcelEvents(deps, batch);
  purgeMs += performance.now() - t;
  purged += n;
  if (offset < ROWS) {
    const ids = Array.from(
      { length: Math.min(batch, ROWS - offset) },
      (_, i) => `new_${String(offset + i).padStart(10, "0")}`,
    );
    t = performance.now();
    const rows = await sql`update parcel_events set recipient_enc = null, recipient_hash = null
                           where id = any(${ids}::text[]) returning 1`;
    bareMs += performance.now() - t;
    bare += rows.length;
  }
  if (n < batch && offset >= ROWS) break;
}
const purgeRate = purged / (purgeMs / 1000);
const bareRate = bare / (bareMs / 1000);

// Insert cost of the partial index: the same rows into a table with it and into one without.
await sql`create table events_without (like parcel_events including all)`;
const [withoutIndex] = await sql<{ name: string }[]>`
  select indexname as name from pg_indexes where tablename = 'events_without' and indexdef like '%personal_data_purged_at is null%'`;
if (withoutIndex) await sql.unsafe(`drop index ${withoutIndex.name}`);
await sql`create table events_with (like parcel_events including all)`;
const insertInto = async (table: string, from: number) => {
  const t = performance.now();
  await sql.unsafe(
    `insert into ${table} select * from parcel_events where id >= 'new_${String(from).padStart(10, "0")}'
     order by id limit ${INSERT_BATCH}`,
  );
  return performance.now() - t;
};
let withMs = 0;
let withoutMs = 0;
for (let from = 0; from < Math.min(INSERT_ROWS, ROWS); from += INSERT_BATCH) {
  withMs += await insertInto("events_with", from);
  withoutMs += await insertInto("events_without", from);
}

console.log(`\nretention purge, batches of ${fmt(batch)} (PII_PURGE_BATCH_SIZE)`);
console.log(
  `  purgeParcelEvents          ${fmt(purged)} rows in ${fmt(purgeMs)} ms: ${fmt(purgeRate)} rows/s`,
);
console.log(`  bare UPDATE by primary key ${fmt(bare)} rows in ${fmt(bareMs)} ms: ${fmt(bareRate)} rows/s`);
console.log(`  ratio                      ${fmt(purgeRate / bareRate, 2)} of the bare update`);
console.log(
  `  at one sweep a minute (10 batches): ${fmt(batch * 10 * 60 * 24)} rows/day ceiling; one sweep's batches take ${fmt((10 * batch) / purgeRate, 2)} s`,
);
const inserted = Math.min(INSERT_ROWS, ROWS);
console.log(
  `\nintake cost of parcel_events_unpurged_idx, ${fmt(inserted)} rows in batches of ${fmt(INSERT_BATCH)}`,
);
console.log(`  with the index    ${fmt(inserted / (withMs / 1000))} rows/s`);
console.log(`  without it        ${fmt(inserted / (withoutMs / 1000))} rows/s`);
console.log(`  ratio             ${fmt(withoutMs / withMs, 2)} (with / without, in rows/s)`);

await sql.end({ timeout: 5 });
await database.close();
await dropDatabase(adminUrl, NAME);
