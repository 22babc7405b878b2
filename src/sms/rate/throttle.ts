/**
 * rate/: how fast SMS may go out. The shared limiter (limiter.ts, GCRA in PostgreSQL) holds every provider's
 * and partner's rate across processes; the scopes a send must respect are derived from settings and the
 * partner (scopes.ts); within one process, this throttle bounds sends in flight and takes tokens for urgent
 * SMS together and for bulk through one pump per scope set (bulk-pump.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import pLimit, { type LimitFunction } from "p-limit";
import { Coalescer } from "../../db/coalesce";
import type { Deps } from "../../deps";
import { BulkPump } from "./bulk-pump";
import { type Lane, type RateDecision, RateDeferred, type RateLimiter, type RateScope } from "./limiter";

type ThrottleSettings = Pick<Deps["config"], "SMS_MAX_IN_FLIGHT" | "SMS_RATE_MAX_WAIT_MS">;

/**
 * The in-process bounds of sending: p-limit per channel and lane, urgent takers, one token pump per bulk
 * scope set.
 */
export class Throttle {
  private readonly inFlight = new Map<string, LimitFunction>();
  private readonly pumps = new Map<string, BulkPump>();
  private readonly urgentTakers = new Map<string, Coalescer<number, RateDecision>>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly settings: ThrottleSettings,
  ) {}

  /**
   * Runs one provider call within this process's in-flight bound, at a moment the shared limiter allows.
   * The in-flight slot is taken before the tokens, so a granted slot is used at once rather than after a
   * local queue (which would bunch sends up beyond the burst). Urgent and bulk have separate bounds:
   * bulk filling its slots never makes a warning wait in this process either.
   */
  async run<T>(
    channelName: string,
    lane: Lane,
    scopes: RateScope[],
    parts: number,
    send: () => Promise<T>,
  ): Promise<T> {
    const key = `${channelName}|${lane}`;
    let limit = this.inFlight.get(key);
    if (!limit) {
      limit = pLimit(this.settings.SMS_MAX_IN_FLIGHT);
      this.inFlight.set(key, limit);
    }
    return limit(async () => {
      if (lane === "urgent") {
        const decision = await this.urgentTaker(scopes).add(parts);
        // Only a provider's long Retry-After puts urgent this far out. Sleeping through it would outlast the
        // send lease, and a redelivered job could then send the same SMS: go back to the queue instead.
        if (decision.waitMs > this.settings.SMS_RATE_MAX_WAIT_MS) throw new RateDeferred(decision.waitMs);
        if (decision.waitMs > 0) await sleep(decision.waitMs);
      } else if (scopes.length > 0) {
        await this.pump(scopes).acquire(parts, this.settings.SMS_RATE_MAX_WAIT_MS);
      }
      return send();
    });
  }

  /**
   * Urgent sends of one scope set take their tokens together: one decision for the SMS waiting at that
   * moment, each sent at the slot it names. A decision per SMS made hundreds of takers a second queue for the
   * channel's row, each holding a pool connection meanwhile, and pushes waited for connections behind them
   * (bench:intake, receive-to-pushed). A batch stays within a quarter of the burst, so it never arrives as
   * more at once than one SMS would be allowed.
   */
  private urgentTaker(scopes: RateScope[]): Coalescer<number, RateDecision> {
    const key = scopeSetKey(scopes);
    let taker = this.urgentTakers.get(key);
    if (!taker) {
      const maxBatch = Math.max(1, Math.floor(Math.min(...scopes.map((s) => s.burst)) / 4));
      taker = new Coalescer(async (parts) => {
        const decision = await this.limiter.take(
          scopes,
          parts.reduce((a, b) => a + b, 0),
          "urgent",
        );
        return parts.map(() => decision);
      }, maxBatch);
      this.urgentTakers.set(key, taker);
    }
    return taker;
  }

  private pump(scopes: RateScope[]): BulkPump {
    const key = scopeSetKey(scopes);
    let pump = this.pumps.get(key);
    if (!pump) {
      pump = new BulkPump(this.limiter, scopes);
      this.pumps.set(key, pump);
    }
    return pump;
  }
}

const scopeSetKey = (scopes: RateScope[]) =>
  scopes.map((s) => `${s.key}@${s.partsPerSecond}/${s.burst}`).join("|");
