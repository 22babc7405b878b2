import { setTimeout as sleep } from "node:timers/promises";
import { RateDeferred, type RateLimiter, type RateScope } from "./limiter";

interface Waiter {
  parts: number;
  deadline: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Bulk senders of one scope set in this process wait here in order, and one loop takes tokens for several
 * of them at once ("tokens taken in batches"). Without it, every waiting sender would ask the database
 * again each time a slot might be free, all at the same moment; with it, a process asks about once per
 * batch, and the database sees a handful of takers however many SMS are waiting.
 */
export class BulkPump {
  private readonly waiting: Waiter[] = [];
  private running = false;
  /**
   * The most parts one decision takes: a quarter of what bulk may take at once. A batch as large as the
   * whole tolerance would only conform once the scope is completely idle, which other takers never let
   * happen; smaller batches keep sends spread out too.
   */
  private readonly maxBatch: number;
  /** Seconds per part at the slowest scope, to estimate how long the queue ahead takes. */
  private readonly slowest: number;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly scopes: RateScope[],
  ) {
    const tolerance = Math.min(...scopes.map((s) => Math.max(1, s.burst - s.urgentReserve)));
    this.maxBatch = Math.max(1, Math.floor(tolerance / 4));
    this.slowest = Math.max(...scopes.map((s) => 1 / s.partsPerSecond));
  }

  acquire(parts: number, maxWaitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ parts, deadline: Date.now() + maxWaitMs, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch: Waiter[] = [];
        let sum = 0;
        while (this.waiting.length > 0) {
          const next = this.waiting[0] as Waiter;
          if (batch.length > 0 && sum + next.parts > this.maxBatch) break;
          batch.push(this.waiting.shift() as Waiter);
          sum += next.parts;
        }
        let decision: Awaited<ReturnType<RateLimiter["take"]>>;
        try {
          decision = await this.limiter.take(this.scopes, sum, "bulk");
        } catch (error) {
          for (const w of batch) w.reject(error as Error);
          continue;
        }
        if (decision.granted) {
          if (decision.waitMs > 0) await sleep(decision.waitMs);
          for (const w of batch) w.resolve();
          continue;
        }
        this.waiting.unshift(...batch);
        this.deferHopeless(decision.waitMs);
        await sleep(Math.max(1, decision.waitMs));
      }
    } finally {
      this.running = false;
    }
  }

  /** Waiters whose slot is, by estimate, beyond their deadline go back to the queue now, not later. */
  private deferHopeless(waitMs: number): void {
    const now = Date.now();
    let ahead = 0;
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i] as Waiter;
      const estimate = waitMs + ahead * this.slowest * 1000;
      if (now + estimate > w.deadline) {
        this.waiting.splice(i, 1);
        w.reject(new RateDeferred(estimate));
        continue;
      }
      ahead += w.parts;
      i++;
    }
  }
}
