/**
 * `npm run bench:statements`: what PostgreSQL spends on the statements every reminder and every job go
 * through, as the code sends them, against the same statement planned for its values on every run (how each
 * was sent with `af_ids` before its migration: the baseline, kept here as text).
 *  - the job claim: PgTableQueue.claim (af_claim_jobs, migration 0026), CLAIMS claims of 5 jobs of a queue
 *    holding tens of thousands, each deleting the 5 the previous one claimed, as a worker does;
 *  - the submit write: writeSubmits (af_write_submits, migration 0025), SUBMITS submits of one message, as
 *    most come back from the provider one at a time during a flood;
 *  - the SMS claim: claim (af_claim_sms, migration 0027), SUBMITS claims of one urgent message, as a victim
 *    warning's is claimed.
 * One connection; its backend's CPU time (from /proc, so PostgreSQL must run on this machine) and the wall
 * time, per statement. The two forms alternate, ROUNDS rounds each.
 * Needs DATABASE_URL (an admin-capable URL: it creates and drops af_bench_statements + BENCH_DB_SUFFIX).
 */
import { sql } from "drizzle-orm";
import { shanghaiDate } from "../src/calendar";
import { systemClock } from "../src/clock";
import { loadConfig } from "../src/config";
import { queryRows } from "../src/db/client";
import { idArray } from "../src/db/id-array";
import { migrateDatabase } from "../src/db/migrate";
import { openDatabase } from "../src/db/open";
import { PgTableQueue } from "../src/queue/pg-queue";
import { claim as claimSms, writeSubmits } from "../src/sms/dispatch/message-store";
import { benchDatabase, dropDatabase, recreateDatabase } from "./support/databases";
import { loadAverage, processesCpuSeconds } from "./support/machine";
import { startPostgresBench } from "./support/postgres-bench";
import { fmt } from "./support/stats";

const CLAIMS = Number(process.env.BENCH_CLAIMS ?? 2000);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLAIM_SIZE = 5;
const NAME = benchDatabase("af_bench_statements");

const adminUrl = await startPostgresBench("bench:statements", NAME);

const url = await recreateDatabase(adminUrl, NAME);
const database = await openDatabase({ url, max: 1 });
await migrateDatabase(database, url);
const db = database.db;
const queue = new PgTableQueue(database);

// Enough jobs and queued messages that no round runs out, and tables large enough that a plan going the
// wrong way (a scan of the whole table) would show.
const jobsNeeded = 2 * ROUNDS * CLAIMS * CLAIM_SIZE + 20_000;
const messagesNeeded = 2 * ROUNDS * SUBMITS + 20_000;
await db.execute(
  sql`insert into jobs (queue, payload) select 'sms-bulk', '{}'::jsonb from generate_series(1, ${jobsNeeded}::int)`,
);
await db.execute(
  sql`insert into sms_messages (id, idempotency_key, lane, purpose, recipient_masked, segments, channel)
      select 'sms_' || g, 'bench-' || g, 'bulk', 'reminder', '138****0000', 1, 'http'
      from generate_series(1, ${messagesNeeded}::int) g`,
);
// Victim warnings for the SMS claims, each to its own number (a daily count of its own, as in a day's warnings).
await db.execute(
  sql`insert into sms_messages (id, idempotency_key, lane, purpose, recipient_masked, recipient_hash, segments, channel)
      select 'urg_' || g, 'bench-urg-' || g, 'urgent', 'victim_warning', '138****0000', 'hash-' || g, 1, 'http'
      from generate_series(1, ${messagesNeeded}::int) g`,
);
await db.execute(sql`analyze jobs`);
await db.execute(sql`analyze sms_messages`);

const backends = (await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`)).map(
  (r) => r.pid,
);
const backendCpuMs = () => processesCpuSeconds(backends) * 1000;

/** The claim as it was sent before migration 0026, planned for its ids on every run. */
async function claimPlannedPerRun(handled: string[]): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`with handled as (
          delete from jobs where id = any(${idArray(handled)}::bigint[])
        ), claimed as (
          update jobs set visible_at = now() + make_interval(secs => ${30}),
                          receive_count = receive_count + 1, claimed_by = ${null}
          where id in (select id from jobs where queue = ${"sms-bulk"} and visible_at <= now()
                       order by visible_at, id limit ${CLAIM_SIZE} for update skip locked)
          returning id, payload, receive_count
        )
        select * from claimed where (select set_config('synchronous_commit', 'off', true)) = 'off'`,
  );
  return rows.map((r) => String(r.id));
}

async function claimKeptPlan(handled: string[]): Promise<string[]> {
  return (await queue.claim("sms-bulk", CLAIM_SIZE, 30, handled)).map((r) => r.id);
}

type Submit = Parameters<typeof writeSubmits>[1][number];

/** The submit write as it was sent before migration 0025, planned for its ids on every run. */
async function submitPlannedPerRun(submits: Submit[]): Promise<void> {
  await db.execute(
    sql`with s as (
          select * from jsonb_to_recordset(${JSON.stringify(submits)}::jsonb)
            as s(id text, "providerMessageId" text, "submittedAt" timestamptz, detail text)
        ),
        u as (
          update sms_messages m
          set status = 'submitted', lease_until = null, provider_message_id = s."providerMessageId",
              submitted_at = s."submittedAt", hold_reason = null, attempts = m.attempts + 1, last_error = null
          from s
          where m.id = s.id and m.id = any(${idArray(submits.map((x) => x.id))}) and (status = 'queued') is true
          returning m.id, s.detail
        )
        insert into sms_events (message_id, status, detail) select id, 'submitted', detail from u`,
  );
}

/** The SMS claim as it was sent before migration 0027, planned for its ids on every run. */
async function smsClaimPlannedPerRun(ids: string[], now: Date): Promise<void> {
  await db.execute(
    sql`with c as (
          update sms_messages
          set lease_until = now() + make_interval(secs => ${30}), lease_holder = ${null}
          where id = any(${idArray(ids)}) and (status = 'queued') is true
            and (lease_until is null or lease_until < now())
            and (not_before is null or not_before <= ${now.toISOString()}::timestamptz)
          returning *
        ),
        counted as (
          insert into daily_usage (key, day, count)
          select 'num:' || c.channel || ':' || c.recipient_hash, ${shanghaiDate(now)}::date, count(*) from c
          where c.lane = 'urgent'
          group by 1
          order by 1
          on conflict (key, day) do update set count = daily_usage.count + excluded.count
        )
        select * from c`,
  );
}

/** The SMS claim's deps: the lease's length from the default configuration, the queue as its holder. */
const claimDeps = { db, config: loadConfig({}), queue, clock: systemClock };

async function measure(runs: number, one: (i: number) => Promise<void>) {
  const cpu0 = backendCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await one(i);
  return { wallUs: ((performance.now() - t0) * 1000) / runs, cpuUs: ((backendCpuMs() - cpu0) * 1000) / runs };
}

let nextMessage = 1;
const submitRound = (write: (s: Submit[]) => Promise<void>) =>
  measure(SUBMITS, async () => {
    const id = `sms_${nextMessage++}`;
    await write([{ id, providerMessageId: `p-${id}`, submittedAt: new Date().toISOString(), detail: null }]);
  });
let nextUrgent = 1;
const smsClaimRound = (claim: (ids: string[], now: Date) => Promise<unknown>) =>
  measure(SUBMITS, async () => {
    await claim([`urg_${nextUrgent++}`], new Date());
  });
const claimRound = (claim: (handled: string[]) => Promise<string[]>) => {
  let handled: string[] = [];
  return measure(CLAIMS, async () => {
    handled = await claim(handled);
  });
};

const results = {
  claimPerRun: [] as { wallUs: number; cpuUs: number }[],
  claimKept: [] as { wallUs: number; cpuUs: number }[],
  submitPerRun: [] as { wallUs: number; cpuUs: number }[],
  submitKept: [] as { wallUs: number; cpuUs: number }[],
  smsClaimPerRun: [] as { wallUs: number; cpuUs: number }[],
  smsClaimKept: [] as { wallUs: number; cpuUs: number }[],
};
// A warm-up of each, so the kept plans are made and the planned-per-run statements parsed before counting.
await claimRound(claimKeptPlan);
await claimRound(claimPlannedPerRun);
await smsClaimRound((ids, now) => claimSms(claimDeps, ids, now));
await smsClaimRound(smsClaimPlannedPerRun);
for (let round = 0; round < ROUNDS; round++) {
  results.claimPerRun.push(await claimRound(claimPlannedPerRun));
  results.claimKept.push(await claimRound(claimKeptPlan));
  results.submitPerRun.push(await submitRound(submitPlannedPerRun));
  results.submitKept.push(await submitRound((s) => writeSubmits(db, s)));
  results.smsClaimPerRun.push(await smsClaimRound(smsClaimPlannedPerRun));
  results.smsClaimKept.push(await smsClaimRound((ids, now) => claimSms(claimDeps, ids, now)));
}

const range = (xs: number[]) => `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
const row = (
  what: string,
  perRun: { wallUs: number; cpuUs: number }[],
  kept: { wallUs: number; cpuUs: number }[],
) => {
  const ratios = perRun.map((p, i) => (kept[i]?.cpuUs ?? 0) / p.cpuUs);
  return `| ${what} | ${range(perRun.map((r) => r.cpuUs))} µs (${range(perRun.map((r) => r.wallUs))} µs) | ${range(kept.map((r) => r.cpuUs))} µs (${range(kept.map((r) => r.wallUs))} µs) | ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}× |`;
};
console.log(
  `\n${ROUNDS} rounds each, alternating; one connection; PostgreSQL's CPU per statement (wall time)\n`,
);
console.log("| statement | planned per run (baseline) | plan kept (the code) | CPU ratio, per round |");
console.log("| --- | --- | --- | --- |");
console.log(
  row(
    `job claim of ${CLAIM_SIZE}, the previous ${CLAIM_SIZE} deleted (${CLAIMS} a round)`,
    results.claimPerRun,
    results.claimKept,
  ),
);
console.log(row(`submit write of 1 message (${SUBMITS} a round)`, results.submitPerRun, results.submitKept));
console.log(
  row(
    `SMS claim of 1 urgent message, counted (${SUBMITS} a round)`,
    results.smsClaimPerRun,
    results.smsClaimKept,
  ),
);
console.log(`load avg  ${loadAverage()} (1/5/15 min) at end`);

await database.close();
await dropDatabase(adminUrl, NAME);
