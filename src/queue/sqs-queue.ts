import pLimit from "p-limit";
import type { QueueName } from "../topology";
import type { Outgoing, QueuePort } from "./port";
import type { SqsApi, SqsBatchEntry, SqsBatchFailure } from "./sqs-client";

/** SQS refuses more than ten entries per SendMessageBatch and delays longer than fifteen minutes. */
export const SQS_BATCH_LIMIT = 10;
export const SQS_MAX_DELAY_SECONDS = 900;

/**
 * Message attributes this adapter adds for delays longer than SQS allows. The message is sent with the
 * longest delay SQS takes and these say when it is really due and where to put it back; the consumer
 * (src/cloud/sqs-handler.ts) sends it on again instead of handling it early. Only transport concerns
 * live here, so the message body is the same one the table queue stores.
 */
export const NOT_BEFORE_ATTRIBUTE = "af-not-before";
export const QUEUE_ATTRIBUTE = "af-queue";

export interface SqsQueueOptions {
  /** The SQS queue URL for every queue in the topology. */
  urls: Record<QueueName, string>;
  /** SendMessageBatch calls per chunk before entries that keep failing are given up on. */
  maxAttempts?: number;
  /** Pause before retrying the failed entries of a chunk. */
  retryDelayMs?: (attempt: number) => number;
  /** Chunks in flight at once, so a large intake batch is not sent one request at a time. */
  concurrency?: number;
  now?: () => number;
}

export interface FailedSend {
  queue: QueueName;
  code: string;
  message: string;
  senderFault: boolean;
}

export class SqsPublishError extends Error {
  constructor(readonly failed: FailedSend[]) {
    const codes = [...new Set(failed.map((f) => f.code))].join(", ");
    super(`${failed.length} queue message(s) could not be sent to SQS (${codes})`);
    this.name = "SqsPublishError";
  }
}

/**
 * The cloud queue. SQS cannot join a PostgreSQL transaction, so `transact()` calls `publish` after commit
 * (CONVENTIONS #8). Entries SQS reports as failed in a batch are retried a few times; if some still fail,
 * `publish` throws so the caller sees it, and the state already committed stays the truth: the sweeper
 * re-drives work whose message never left (an alert still `received`, an SMS still `queued`). Entries of
 * a chunk that did get through are not taken back, which is safe because every consumer is idempotent.
 */
export class SqsQueue implements QueuePort {
  readonly transactional = false;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly now: () => number;

  constructor(
    private readonly client: SqsApi,
    private readonly options: SqsQueueOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? ((attempt) => 50 * 4 ** (attempt - 1));
    this.limit = pLimit(options.concurrency ?? 4);
    this.now = options.now ?? Date.now;
  }

  async publish(items: Outgoing[]): Promise<void> {
    if (items.length === 0) return;
    const byQueue = new Map<QueueName, Outgoing[]>();
    for (const item of items) byQueue.set(item.queue, [...(byQueue.get(item.queue) ?? []), item]);
    const chunks: { queue: QueueName; items: Outgoing[] }[] = [];
    for (const [queue, queued] of byQueue) {
      for (let i = 0; i < queued.length; i += SQS_BATCH_LIMIT) {
        chunks.push({ queue, items: queued.slice(i, i + SQS_BATCH_LIMIT) });
      }
    }
    // Every chunk is tried even when one fails, so one bad request strands as little work as possible.
    const failures = await Promise.all(chunks.map((c) => this.limit(() => this.sendChunk(c.queue, c.items))));
    const failed = failures.flat();
    if (failed.length > 0) throw new SqsPublishError(failed);
  }

  async backlogged(queue: QueueName): Promise<boolean> {
    const url = this.options.urls[queue];
    if (!url) throw new Error(`no SQS queue URL configured for ${queue}`);
    return (await this.client.approximateNumberOfMessages(url)) > 0;
  }

  private async sendChunk(queue: QueueName, items: Outgoing[]): Promise<FailedSend[]> {
    const url = this.options.urls[queue];
    if (!url) throw new Error(`no SQS queue URL configured for ${queue}`);
    let pending = items.map((item, index) => this.entry(queue, item, String(index)));
    const given: FailedSend[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      let reported: SqsBatchFailure[];
      try {
        reported = await this.client.sendMessageBatch(url, pending);
      } catch (error) {
        // The client has already retried the request itself; a failure here is final for this call.
        const code = (error as { name?: string }).name ?? "Error";
        const message = error instanceof Error ? error.message : String(error);
        return [...given, ...pending.map(() => ({ queue, code, message, senderFault: false }))];
      }
      const retryable = new Set<string>();
      for (const failure of reported) {
        const item = {
          queue,
          code: failure.Code,
          message: failure.Message ?? "",
          senderFault: false,
        };
        // A sender fault (too large, bad attribute) fails the same way every time; do not retry it.
        if (failure.SenderFault) given.push({ ...item, senderFault: true });
        else retryable.add(failure.Id);
      }
      pending = pending.filter((e) => retryable.has(e.Id));
      if (pending.length === 0) break;
      if (attempt >= this.maxAttempts) {
        const codes = new Map(reported.map((f) => [f.Id, f]));
        return [
          ...given,
          ...pending.map((e) => ({
            queue,
            code: codes.get(e.Id)?.Code ?? "Unknown",
            message: codes.get(e.Id)?.Message ?? "",
            senderFault: false,
          })),
        ];
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs(attempt)));
    }
    return given;
  }

  private entry(queue: QueueName, item: Outgoing, id: string): SqsBatchEntry {
    const entry: SqsBatchEntry = { Id: id, MessageBody: JSON.stringify(item.message) };
    const delay = Math.max(0, Math.ceil(item.delaySeconds ?? 0));
    if (delay === 0) return entry;
    entry.DelaySeconds = Math.min(delay, SQS_MAX_DELAY_SECONDS);
    if (delay > SQS_MAX_DELAY_SECONDS) {
      const attributes: SqsBatchEntry["MessageAttributes"] = {
        [NOT_BEFORE_ATTRIBUTE]: { DataType: "Number", StringValue: String(this.now() + delay * 1000) },
        [QUEUE_ATTRIBUTE]: { DataType: "String", StringValue: queue },
      };
      entry.MessageAttributes = attributes;
    }
    return entry;
  }
}
