import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { delay, HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { queryRows } from "../../src/db/client";
import { startWorkers } from "../../src/local/workers";
import { createTestContext, type TestContext } from "../support/context";
import { aPartner } from "../support/partners";
import {
  dropRateGrantLogs,
  GATEWAY_URL,
  gatewayEnv,
  logRateGrants,
  migrateOnceBeforeAll,
  queueTestSms,
} from "../support/sms";
import { simulatedGateway } from "../support/sms-gateway";

migrateOnceBeforeAll();

/** The domestic gateway answering in 20–80 ms, like the benchmark's. */
const gateway = simulatedGateway().server;
afterEach(dropRateGrantLogs);

const RATE = 40;
const BURST = 8;
const URGENT = 12;

/** The largest number of parts in any one-second window. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Urgent {
  queuedAt: number;
  arrivedAt: number;
}

/** Sends URGENT victim warnings one every 200 ms; resolves with when each was queued and reached the gateway. */
async function urgentTrickle(ctx: TestContext, arrivals: Map<string, number>): Promise<Urgent[]> {
  const queuedAt = new Map<string, number>();
  for (let i = 0; i < URGENT; i++) {
    const t0 = performance.now();
    const [id] = await queueTestSms(ctx, [
      { to: `+861390000${String(i).padStart(4, "0")}`, lane: "urgent", purpose: "victim_warning" },
    ]);
    queuedAt.set(id as string, t0);
    await sleep(200);
  }
  await until(
    "the urgent SMS to reach the gateway",
    () => [...queuedAt.keys()].every((id) => arrivals.has(id)),
    20_000,
  );
  return [...queuedAt].map(([id, t0]) => ({ queuedAt: t0, arrivedAt: arrivals.get(id) as number }));
}

describe("two lanes", () => {
  it("keeps urgent latency unchanged while the bulk lane is flooded, and the provider's rate still holds", async () => {
    const ctx = await createTestContext({
      env: gatewayEnv(undefined, {
        SMS_GLOBAL_PARTS_PER_SECOND: JSON.stringify({ http: RATE }),
        SMS_GLOBAL_BURST: JSON.stringify({ http: BURST }),
      }),
    });
    const arrivals = new Map<string, number>();
    const all: number[] = [];
    gateway.use(
      http.post(GATEWAY_URL, async ({ request }) => {
        const body = (await request.json()) as { outId: string };
        const at = performance.now();
        arrivals.set(body.outId, at);
        all.push(at);
        await delay(20 + Math.random() * 60);
        return HttpResponse.json({ code: "OK", data: { msgId: `gw-${body.outId}` } });
      }),
    );
    const log = await logRateGrants(ctx);
    const workers = await startWorkers(ctx.deps, ["sms-urgent", "sms-bulk"]);
    try {
      await urgentTrickle(ctx, arrivals);

      // Flood: 30 seconds of bulk at the provider's rate, for a partner whose own rate does not bind: enough
      // that more than five seconds' worth is still waiting after the loaded trickle on a slow machine.
      const partner = await aPartner(ctx, { partsPerSecond: 1000 });
      const bulk = await queueTestSms(
        ctx,
        Array.from({ length: RATE * 30 }, (_, i) => ({
          to: `+861370000${String(i).padStart(4, "0")}`,
          partnerId: partner.id,
        })),
      );
      await until("bulk to flow", () => bulk.filter((id) => arrivals.has(id)).length >= RATE, 10_000);
      const loaded = await urgentTrickle(ctx, arrivals);
      const bulkLeft = bulk.filter((id) => !arrivals.has(id)).length;

      // Had urgent queued behind the bulk still waiting, each would have reached the gateway after more than
      // RATE * 5 bulk SMS. Counted in SMS, not milliseconds: a busy machine slows bulk and urgent alike (one
      // process, one database), so it cannot turn one into the other. Each went ahead of the bulk backlog:
      // fewer bulk SMS reached the gateway while it waited than the provider takes in one second.
      expect(bulkLeft).toBeGreaterThan(RATE * 5);
      const bulkArrivals = bulk.map((id) => arrivals.get(id)).filter((at): at is number => at !== undefined);
      const bulkAhead = loaded.map(
        (u) => bulkArrivals.filter((at) => at > u.queuedAt && at < u.arrivedAt).length,
      );
      expect(Math.max(...bulkAhead)).toBeLessThan(RATE);
      // Bulk, meanwhile, went as fast as the provider allows and no faster: at most RATE + BURST parts in
      // any second of the slots the limiter handed out, by the database's clock (its promise: arrivals can
      // bunch behind a stalled event loop), and the gateway saw nothing the limiter had not granted. Counted
      // in parts, not grants: urgent SMS waiting at the same moment take their tokens in one decision (the
      // throttle's urgent takers, two one-part SMS at this burst), which a loaded machine makes happen.
      const grants = await log.grants("ch:http", RATE);
      expect(busiestSecond(grants.map((g) => g.slot))).toBeLessThanOrEqual(RATE + BURST);
      expect(all.length).toBeLessThanOrEqual(grants.reduce((parts, g) => parts + g.parts, 0));
      const [{ queued } = { queued: 0 }] = await queryRows<{ queued: number }>(
        ctx.deps.db,
        sql`select count(*)::int as queued from sms_messages where lane = 'bulk' and status = 'queued'`,
      );
      expect(queued).toBeGreaterThan(0);
    } finally {
      await workers.stop();
    }
  }, 120_000);
});
