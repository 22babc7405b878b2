import type { Executor } from "../db/client";
import type { QueueName } from "../topology";
import type { Message } from "./messages";

export interface Outgoing {
  queue: QueueName;
  message: Message;
  /** Deliver no earlier than this many seconds from now. */
  delaySeconds?: number;
}

/**
 * Where use cases put follow-up work. A transactional queue (the PostgreSQL table) writes inside the
 * caller's transaction, so a stage change and the message for the next stage commit together. A
 * non-transactional one (SQS) is sent after commit; the sweeper re-drives what a crash left unsent.
 */
export interface QueuePort {
  readonly transactional: boolean;
  /**
   * The registered worker process claims are made for (local runtime only; src/queue/worker-registry.ts).
   * Recorded on what it holds (jobs, SMS leases) so that a live worker can take them over if it dies.
   */
  readonly holder?: string;
  publish(items: Outgoing[], tx?: Executor): Promise<void>;
  /** Called (and awaited) after the transaction that published `items` committed; never throws. */
  committed?(items: Outgoing[]): void | Promise<void>;
  /**
   * Whether messages are waiting on the queue to be received (delayed ones do not count; SQS's figure is
   * approximate). A message whose job waits in a backlog looks just like one whose job was lost.
   */
  backlogged(queue: QueueName): Promise<boolean>;
}
