/**
 * Turns many small writes into few statements, the way PostgreSQL's group commit does: the first call runs
 * at once, alone; calls made while a run is in flight wait for it and then go together in the next run (at
 * most `maxBatch` per run). An idle system pays no added latency; a busy one pays one statement per batch
 * instead of one per call.
 *
 * Each caller gets its own item's outcome: `run` returns one result per item, in order; if it throws, every
 * caller of that run gets the error. With `lingerMs`, the first call waits that long for company: for writes
 * nobody waits on (a reminder's submit), fewer statements and commits are worth a few milliseconds.
 */
export class Coalescer<T, R> {
  private waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 100,
    private readonly lingerMs = 0,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      if (this.lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const results = await this.run(batch.map((w) => w.item));
          for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
