import type { SQL } from "drizzle-orm";
import type { Executor } from "../db/client";
import type { QueueName } from "../topology";
import type { Message } from "./messages";

/** A prompt message's consumer, as part of the one statement that publishes it (QueuePort.promptStatement). */
export interface PromptStatement {
  /** CTEs (`name as (...)`) to add to the statement. */
  ctes: SQL[];
  /** Rows for the alert timeline, (alert_id, kind, at, officer_id, data), to follow the statement's own. */
  timeline?: SQL;
}

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
  /**
   * Where this runtime handles `message` in the publishing transaction (PROMPT_MESSAGES, src/topology.ts) and
   * has its consumer as SQL: that work as part of a statement whose CTE `changed` holds the rows changed.
   * Undefined otherwise: the message is published as any other.
   */
  promptStatement?(message: Message, changed: SQL, now: Date): PromptStatement | undefined;
  /** Called (and awaited) after the transaction that published `items` committed; never throws. */
  committed?(items: Outgoing[]): void | Promise<void>;
  /**
   * Whether messages are waiting on the queue to be received (delayed ones do not count; SQS's figure is
   * approximate). A message whose job waits in a backlog looks just like one whose job was lost.
   */
  backlogged(queue: QueueName): Promise<boolean>;
}
