import { asc, eq, sql } from "drizzle-orm";
import { beforeAll } from "vitest";
import { smsEvents, smsMessages } from "../../schema";
import { queryRows } from "../../src/db/client";
import { transact } from "../../src/queue/outbox";
import { signPayload } from "../../src/signature";
import type { SmsApiInput } from "../../src/sms/channels/http-gateway-api";
import { queueSms, type SmsToQueue } from "../../src/sms/dispatch/queue-sms";
import type { TestContext } from "./context";
import { warmDatabase } from "./db";

/** The simulated domestic gateway and partner APIs the SMS tests talk to (msw answers for them). */
export const GATEWAY_URL = "https://sms-gateway.test/v1/send";
export const PARTNER_API_URL = "https://sms.partner.test/api/sms";

/** A domestic gateway as SMS_HTTP_API: JSON in, `{ code: "OK", data: { msgId } }` out, our id as `outId`. */
export function gatewayApi(overrides: Partial<SmsApiInput> = {}): SmsApiInput {
  return {
    url: GATEWAY_URL,
    auth: { type: "bearer", token: "gateway-token" },
    fields: { to: "mobile", text: "content", clientReference: "outId" },
    phoneFormat: "national",
    extra: { signName: "昌吉公安" },
    response: {
      messageIdPath: "data.msgId",
      codePath: "code",
      successCodes: ["OK"],
      transientCodes: ["BUSY"],
    },
    timeoutMs: 300,
    ...overrides,
  };
}

/** Environment for a test context whose police channel is the simulated gateway. */
export function gatewayEnv(api: SmsApiInput = gatewayApi(), extra: Record<string, string> = {}) {
  return { SMS_CHANNEL: "http", SMS_HTTP_API: JSON.stringify(api), ...extra };
}

let smsCounter = 0;

/** Queues SMS the way producers do (push, reminders): in a transaction with their send jobs. */
export async function queueTestSms(
  ctx: TestContext,
  items: (Partial<SmsToQueue> & Pick<SmsToQueue, "to">)[],
): Promise<string[]> {
  return transact(ctx.deps, (tx, publish) =>
    queueSms(
      ctx.deps,
      tx,
      publish,
      items.map((item) => {
        smsCounter += 1;
        return {
          purpose: item.lane === "bulk" || item.partnerId ? "parcel_reminder" : "victim_warning",
          lane: item.partnerId ? "bulk" : "urgent",
          body: "【昌吉公安】警惕冒充客服退款诈骗，拒收请回复R",
          dedupeKey: `test-${smsCounter}`,
          ...item,
        } as SmsToQueue;
      }),
    ),
  );
}

/** Delayed jobs (retries, held messages) become due now, as if their time had come. */
export async function releaseDelayedSmsJobs(ctx: TestContext): Promise<number> {
  const rows = await queryRows<{ id: number }>(
    ctx.deps.db,
    sql`update jobs set visible_at = now() where queue in ('sms-urgent', 'sms-bulk') and visible_at > now() returning id`,
  );
  return rows.length;
}

/** Seconds until each pending SMS job is due, soonest first. */
export async function smsJobDelays(ctx: TestContext): Promise<number[]> {
  const rows = await queryRows<{ s: number }>(
    ctx.deps.db,
    sql`select extract(epoch from visible_at - now())::float8 as s from jobs
        where queue in ('sms-urgent', 'sms-bulk') order by visible_at`,
  );
  return rows.map((r) => Number(r.s));
}

export async function message(ctx: TestContext, id: string) {
  const [row] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, id));
  if (!row) throw new Error(`no message ${id}`);
  return row;
}

export async function history(ctx: TestContext, id: string) {
  return ctx.deps.db
    .select({ status: smsEvents.status, detail: smsEvents.detail })
    .from(smsEvents)
    .where(eq(smsEvents.messageId, id))
    .orderBy(asc(smsEvents.id));
}

/** POSTs JSON signed with a webhook secret (X-Signature, the feed scheme). */
export function signedPost(
  ctx: TestContext,
  path: string,
  body: unknown,
  secret: string,
  options: { headers?: Record<string, string>; at?: number } = {},
) {
  const raw = JSON.stringify(body);
  const at = options.at ?? Math.floor(ctx.deps.clock.now().getTime() / 1000);
  return ctx.app.request(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-signature": signPayload(secret, raw, at),
      ...options.headers,
    },
    body: raw,
  });
}

/**
 * Migrating the first database of a test file takes a while on a busy machine; pay for it in a hook (whose
 * timeout is longer) rather than inside the first test.
 */
export function migrateOnceBeforeAll(): void {
  beforeAll(warmDatabase, 120_000);
}

/**
 * A grant of the rate limiter: when the database made it, for how many parts, and the slot it was given
 * (the theoretical arrival time it advanced from; an urgent grant beyond the burst is told to wait for it).
 */
export interface RateGrant {
  at: number;
  parts: number;
  slot: number;
}

const grantLogDrops: (() => Promise<void>)[] = [];

/**
 * Logs every grant the rate limiter makes, by the database's clock: a trigger on rate_limits in the test's
 * own database records each TAT advance with the time it was made. The limiter promises its rate for its
 * grants; arrivals at a gateway come later, by the send jitter and by however long a busy machine keeps a
 * process from running, so one-second windows over arrivals can exceed the rate with the limiter right, and
 * windows over grants cannot. Call `dropRateGrantLogs` in the file's afterEach: it removes the trigger
 * before the harness takes the database back.
 */
export async function logRateGrants(
  ctx: TestContext,
): Promise<{ grants(key: string, partsPerSecond: number): Promise<RateGrant[]> }> {
  const { db } = ctx.deps;
  await db.execute(sql`create table test_grants (at timestamptz not null, key text not null,
                         old_tat timestamptz not null, new_tat timestamptz not null)`);
  await db.execute(sql`create function test_log_grant() returns trigger language plpgsql as $$
                       begin
                         insert into test_grants values (clock_timestamp(), new.key, old.tat, new.tat);
                         return new;
                       end $$`);
  await db.execute(sql`create trigger test_log_grant after update on rate_limits for each row
                       when (new.tat is distinct from old.tat) execute function test_log_grant()`);
  grantLogDrops.push(async () => {
    await db.execute(sql`drop trigger if exists test_log_grant on rate_limits`);
    await db.execute(sql`drop function if exists test_log_grant()`);
    await db.execute(sql`drop table if exists test_grants`);
  });
  return {
    async grants(key, partsPerSecond) {
      const rows = await queryRows<{ at: number; advance: number; tat: number }>(
        db,
        sql`select extract(epoch from at)::float8 * 1000 as at,
                   extract(epoch from new_tat - greatest(old_tat, at))::float8 as advance,
                   extract(epoch from new_tat)::float8 * 1000 as tat
            from test_grants where key = ${key} order by at`,
      );
      // The log's time trails the decision's by the rest of its statement, so from an idle scope the advance
      // it sees falls short of the true one by that much (it is longer only when another scope of the same
      // send set a later slot). Rounded up, less a hundredth of a part for the microseconds timestamps keep,
      // it is the parts granted unless the statement ran on for a part's interval after reading the clock.
      return rows.map((r) => {
        const parts = Math.max(1, Math.ceil(Number(r.advance) * partsPerSecond - 0.01));
        return { at: Number(r.at), parts, slot: Number(r.tat) - (parts * 1000) / partsPerSecond };
      });
    },
  };
}

export async function dropRateGrantLogs(): Promise<void> {
  for (const drop of grantLogDrops.splice(0)) await drop();
}
