import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import type { Deps } from "../../src/deps";
import { transact } from "../../src/queue/outbox";
import { queueSms } from "../../src/sms/dispatch/queue-sms";
import { RateLimiter, type RateScope } from "../../src/sms/rate/limiter";
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

/** What the probe takes per decision: one part, ten times a second, small beside the scopes' rates. */
export const PROBE_PARTS = 1;

export interface ProbeResult {
  /** Time of each limiter decision, ms. */
  decision: number[];
  /** Time of each bare `select 1` on the same connection, ms: the decision's baseline. */
  bare: number[];
  /** When each granted decision returned (performance.now()): parts taken from the real scopes' budget. */
  granted: number[];
  refused: number;
}

/**
 * Every 100 ms until `until()`: one limiter decision on `scopes` — the rows real senders share (the gateway's
 * global scope and a partner's), with the limits they use, in the bulk lane as that partner's reminders take
 * them — and, as its baseline, a bare `select 1` on the same connection; both timed in ms. The decision waits
 * for the same row locks every sender of those scopes waits for; a granted one takes PROBE_PARTS from their
 * budget (never sent), which the caller counts with what the gateway received.
 */
export function decisionProbe(
  database: Database,
  scopes: readonly RateScope[],
): (until: () => boolean) => Promise<ProbeResult> {
  const probeLimiter = new RateLimiter(database.db);
  return (until) =>
    (async () => {
      const result: ProbeResult = { decision: [], bare: [], granted: [], refused: 0 };
      while (!until()) {
        let t = performance.now();
        const { granted } = await probeLimiter.take(scopes, PROBE_PARTS, "bulk");
        const decided = performance.now();
        result.decision.push(decided - t);
        if (granted) result.granted.push(decided);
        else result.refused += 1;
        t = performance.now();
        await database.db.execute(sql`select 1`);
        result.bare.push(performance.now() - t);
        await sleep(100);
      }
      return result;
    })();
}
