import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client";

export type Lane = "urgent" | "bulk";

/** A bulk SMS would wait longer than allowed for its rate slot; put it back on the queue for that long. */
export class RateDeferred extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate slot more than the allowed wait away (about ${Math.round(retryAfterMs)} ms)`);
    this.name = "RateDeferred";
  }
}

/** One rate a send must respect: a channel's provider limit, a partner's parts per second. */
export interface RateScope {
  key: string;
  partsPerSecond: number;
  /** Parts that may go at once above the rate: any one-second window sees at most rate + burst. */
  burst: number;
  /** Parts of the burst bulk may not use; urgent SMS find them free even when bulk runs flat out. */
  urgentReserve: number;
}

export interface RateDecision {
  granted: boolean;
  /**
   * Granted: ms until the slot the tokens were taken for (send then, not earlier). Refused: ms until the
   * tokens could be granted, as far as this decision could see; a hint, asking again then may still lose.
   */
  waitMs: number;
}

/**
 * A rate limiter shared by every worker in every process, kept in PostgreSQL (`rate_limits`): GCRA, the
 * generic cell rate algorithm. Each scope stores one timestamp, its theoretical arrival time (TAT): the time
 * the scope would be idle again if every token taken so far were spaced exactly at the rate. A request for
 * n tokens at time t conforms when TAT + n/rate − tolerance ≤ t, and moves TAT to max(TAT, t) + n/rate.
 * Any window of w seconds then holds at most rate·w + burst tokens, whatever the number of takers.
 *
 * One statement decides for every scope of a send at once (channel and partner): it locks the scopes' rows
 * in key order (no deadlocks between takers), reads the clock once it holds them (a taker that queued behind
 * others is counted from when it is decided, not from when it began to wait), computes the earliest time all
 * of them conform, and moves every TAT only if the request is granted — so tokens are never taken from one
 * scope for a send another scope refused. n is a message's parts (providers bill parts), or the sum over a
 * batch of messages.
 *
 * Lanes, and why bulk cannot starve urgent: bulk is granted only when it conforms now with a tolerance
 * reduced by the urgent reserve, so bulk alone keeps TAT at most (burst − reserve)/rate ahead of the clock.
 * Urgent is never refused: it takes its tokens at once with the full tolerance, and its slot is
 * max(now, TAT + n/rate − burst/rate) — immediately, as long as the urgent SMS of the moment fit in the
 * reserve. The tokens it takes push TAT forward, so the bulk that follows waits for them: urgent goes first
 * and the provider's rate still holds. Only urgent traffic beyond the whole rate makes urgent wait, for each
 * other, at the rate.
 *
 * The decision's transaction commits without waiting for its WAL to reach the disk (af_rate_take sets
 * synchronous_commit off). Every taker of a scope queues for its row, and a taker holds the row until its
 * commit is on disk: with a synchronous commit, that flush sets the pace of the hot global row, and urgent SMS
 * wait in the same queue. A rate decision is soft state: a database crash may lose the last fraction of a
 * second of TAT moves (at most three wal_writer_delay), after which that much may be granted again — a
 * provider answering that with a 429 is handled like any other.
 */
export class RateLimiter {
  /** Rows known to exist; FOR UPDATE can only lock rows that do. */
  private readonly ensured = new Set<string>();

  constructor(private readonly db: Executor) {}

  async take(scopes: readonly RateScope[], parts: number, lane: Lane): Promise<RateDecision> {
    if (scopes.length === 0) return { granted: true, waitMs: 0 };
    const sorted = [...scopes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await this.ensure(sorted.map((s) => s.key));
    for (let attempt = 0; ; attempt++) {
      const decision = await this.decide(sorted, parts, lane);
      if (decision) return decision;
      // A row went missing (deleted by hand); make it again once, then report the bug.
      if (attempt > 0) throw new Error(`rate_limits rows missing for ${sorted.map((s) => s.key).join(", ")}`);
      for (const s of sorted) this.ensured.delete(s.key);
      await this.ensure(sorted.map((s) => s.key));
    }
  }

  /**
   * The provider said "slow down" (429, throttling): nobody, in any process, takes this scope's tokens for
   * `ms`. Pushes TAT so that even the full (urgent) tolerance is used up until then.
   */
  async penalize(scope: RateScope, ms: number): Promise<void> {
    await this.ensure([scope.key]);
    const seconds = ms / 1000 + scope.burst / scope.partsPerSecond;
    await this.db.execute(
      sql`update rate_limits set tat = greatest(tat, clock_timestamp() + make_interval(secs => ${seconds}::float8))
          where key = ${scope.key}`,
    );
  }

  private async ensure(keys: string[]): Promise<void> {
    const missing = keys.filter((k) => !this.ensured.has(k));
    if (missing.length === 0) return;
    await this.db.execute(
      sql`insert into rate_limits (key, tat)
          values ${sql.join(
            missing.map((k) => sql`(${k}, 'epoch'::timestamptz)`),
            sql`, `,
          )}
          on conflict (key) do nothing`,
    );
    for (const k of missing) this.ensured.add(k);
  }

  private async decide(sorted: RateScope[], parts: number, lane: Lane): Promise<RateDecision | undefined> {
    const requests = sorted.map((s) => {
      const emission = 1 / s.partsPerSecond;
      const toleranceParts = lane === "urgent" ? s.burst : Math.max(1, s.burst - s.urgentReserve);
      // seconds: n/rate, and the tolerance; a request larger than the tolerance conforms from an idle scope.
      return { key: s.key, inc: parts * emission, tol: toleranceParts * emission };
    });
    // af_rate_take (migrations 0021, 0022) is the one statement described above, kept as a function so that
    // its plan is made once per connection rather than on every decision.
    const [row] = await queryRows<{ delay: number; found: number; taken: number }>(
      this.db,
      sql`select delay_seconds as delay, scopes_found as found, scopes_taken as taken
          from af_rate_take(${JSON.stringify(requests)}::jsonb, ${sorted.length}::int, ${lane === "urgent"}::boolean)`,
    );
    if (!row || Number(row.found) !== sorted.length) return undefined;
    const waitMs = Math.max(0, Number(row.delay) * 1000);
    return { granted: Number(row.taken) > 0, waitMs };
  }
}
