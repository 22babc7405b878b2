import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import type { Deps } from "../../src/deps";
import { transact } from "../../src/queue/outbox";
import { queueSms } from "../../src/sms/dispatch/queue-sms";
import { RateLimiter } from "../../src/sms/rate/limiter";
import { sleep } from "./wait";

/**
 * What bench:sms measures beside the flood: urgent SMS queued at a steady pace (their latency to the
 * gateway), and limiter decisions timed against a bare `select 1` from the same process.
 */

/**
 * Queues victim warnings at `perSecond`, each in a transaction of its own as producers do, until `until()`;
 * records in `queuedAt` when each was queued and resolves to their ids.
 */
export function urgentTrickle(
  deps: Pick<Deps, "db" | "queue" | "pii" | "sms">,
  perSecond: number,
  queuedAt: Map<string, number>,
): (phase: string, until: () => boolean) => Promise<string[]> {
  let urgentCounter = 0;
  return (phase, until) => {
    const ids: string[] = [];
    return (async () => {
      const every = 1000 / perSecond;
      let next = performance.now();
      while (!until()) {
        urgentCounter += 1;
        const t0 = performance.now();
        const [id] = await transact(deps, (tx, publish) =>
          queueSms(deps, tx, publish, [
            {
              purpose: "victim_warning",
              lane: "urgent",
              to: `+86139${String(urgentCounter).padStart(8, "0")}`,
              body: "【昌吉公安】您刚接听的来电疑似诈骗电话。自称客服、公检法要求转账或提供验证码的都是诈骗，请勿转账。",
              dedupeKey: `bench-${phase}-${urgentCounter}`,
            },
          ]),
        );
        if (id) {
          queuedAt.set(id, t0);
          ids.push(id);
        }
        next += every;
        await sleep(Math.max(0, next - performance.now()));
      }
      return ids;
    })();
  };
}

/**
 * Every 100 ms until `until()`: one limiter decision over two scopes of its own (the same statement the
 * engine runs, on limits it never reaches) and, as its baseline, a bare `select 1`; both timed in ms.
 */
export function decisionProbe(
  database: Database,
): (until: () => boolean) => Promise<{ decision: number[]; bare: number[] }> {
  const probeLimiter = new RateLimiter(database.db);
  const probeScopes = [
    { key: "probe:global", partsPerSecond: 1e6, burst: 1e5, urgentReserve: 0 },
    { key: "probe:partner", partsPerSecond: 1e6, burst: 1e5, urgentReserve: 0 },
  ];
  return (until) =>
    (async () => {
      const decision: number[] = [];
      const bare: number[] = [];
      while (!until()) {
        let t = performance.now();
        await probeLimiter.take(probeScopes, 1, "bulk");
        decision.push(performance.now() - t);
        t = performance.now();
        await database.db.execute(sql`select 1`);
        bare.push(performance.now() - t);
        await sleep(100);
      }
      return { decision, bare };
    })();
}
