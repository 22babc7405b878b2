import { withDbPriority } from "../db/priority";
import type { Log } from "../log";
import type { QueueName, QueueSpec } from "../topology";
import { type MessageHandler, runBatch } from "./batch";
import type { PgTableQueue } from "./pg-queue";

export interface WorkerOptions {
  queue: QueueName;
  spec: QueueSpec;
  visibilitySeconds: number;
  /** Safety net for delayed jobs and missed notifications. */
  pollMs?: number;
}

/**
 * The local runtime's consumer loop for one queue: claim a batch, run it through the same batch runner
 * the Lambda uses, settle. Sleeps until woken by a publish (in-process or NOTIFY) or the poll interval.
 */
export class QueueWorker {
  private stopping = false;
  /** Tells the handlers running when stop() is called (MessageContext.signal). */
  private readonly stopped = new AbortController();
  private wakePending = false;
  /** Every loop that is asleep; a wake-up must reach all of them, not only the one that slept last. */
  private readonly sleepers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly table: PgTableQueue,
    private readonly handle: MessageHandler,
    private readonly log: Log,
    private readonly options: WorkerOptions,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.table.subscribe(this.options.queue, () => this.wake());
    // Everything a loop does (handlers, the SMS engine's pumps it starts) waits for the embedded database at
    // the queue's priority, behind requests (src/db/turns.ts).
    const priority = this.options.spec.databasePriority;
    this.loops = Array.from({ length: this.options.spec.concurrency }, () =>
      withDbPriority(priority, () => this.loop()),
    );
  }

  /** Stops claiming, waits for in-flight batches to finish, and lets go of the subscription. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.wake();
    await Promise.all(this.loops);
    await this.unsubscribe?.();
  }

  private wake(): void {
    this.wakePending = true;
    for (const done of this.sleepers) done();
  }

  private async sleep(): Promise<void> {
    if (this.wakePending || this.stopping) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs ?? 1000);
      this.sleepers.add(done);
    });
  }

  private async loop(): Promise<void> {
    const { queue, spec, visibilitySeconds } = this.options;
    // Jobs handled in the last batch: deleted by the next claim, in the same statement, which halves the round
    // trips per batch. They stay invisible (claimed) until then, so nothing is delivered twice meanwhile.
    let handled: string[] = [];
    while (!this.stopping) {
      this.wakePending = false;
      let records: Awaited<ReturnType<PgTableQueue["claim"]>>;
      try {
        records = await this.table.claim(queue, spec.batchSize, visibilitySeconds, handled);
        handled = [];
      } catch (error) {
        if (this.stopping) break;
        this.log.error({ err: error, queue }, "claim failed");
        await this.sleep();
        continue;
      }
      if (records.length === 0) {
        await this.sleep();
        continue;
      }
      const result = await runBatch(records, this.handle, this.log.child({ queue }), {
        signal: this.stopped.signal,
      });
      // Failures are settled now (retry later, or dead-letter); the handled jobs go with the next claim.
      await this.table.settle(records, result, spec.maxReceives, { keepHandled: true });
      const failed = new Set(result.failed.map((f) => f.id));
      handled = records.filter((r) => !failed.has(r.id)).map((r) => r.id);
    }
    // Stopping: what was handled last is deleted now rather than redelivered after the visibility timeout.
    await this.table.remove(handled);
  }
}
