import { EventEmitter } from "node:events";
import { inArray, type SQL, sql } from "drizzle-orm";
import { deadJobs, jobs } from "../../schema";
import type { Database, Executor, Tx } from "../db/client";
import { queryRows } from "../db/client";
import { idArray, idList } from "../db/id-array";
import { noFlushWait } from "../db/no-flush-wait";
import { PROMPT_MESSAGES, type QueueName } from "../topology";
import type { BatchResult, ReceivedRecord } from "./batch";
import type { MessageOf } from "./messages";
import { NotifyAfterCommit } from "./notify-after-commit";
import type { Publish } from "./outbox";
import type { Outgoing, PromptStatement, QueuePort } from "./port";

const NOTIFY_CHANNEL = "af_jobs";

/** A message the publishing transaction handles itself (PROMPT_MESSAGES, src/topology.ts). */
const isPromptNow = (item: Outgoing) =>
  !item.delaySeconds && (PROMPT_MESSAGES as readonly string[]).includes(item.message.type);

export type PromptMessage = MessageOf<(typeof PROMPT_MESSAGES)[number]>;
/** Handles a prompt message in the caller's transaction; `publish` adds jobs to that transaction. */
export type PromptHandler = (tx: Tx, message: PromptMessage, publish: Publish) => Promise<void>;

/**
 * A prompt message's consumer as SQL for the statement that publishes the message (see promptStatement):
 * CTEs doing its work from the rows of the CTE `changed`, rows for the alert timeline, and the jobs it
 * publishes as rows of (queue text, payload jsonb).
 */
export type PromptSql = (
  message: PromptMessage,
  changed: SQL,
  now: Date,
) => { ctes: SQL[]; timeline?: SQL; jobs?: SQL };

type JobRow = { id: string | number; payload: unknown; receive_count: number };

const toReceived = (r: JobRow): ReceivedRecord => ({
  id: String(r.id),
  body: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload,
  receiveCount: r.receive_count,
});

/**
 * PostgreSQL table queue. Publishing inserts jobs in the caller's transaction; once it has committed
 * (committed()), workers in this process are woken directly and those of other processes by a NOTIFY sent
 * then (./notify-after-commit.ts says why not inside the transaction). A publish outside a transaction
 * commits at once and carries its NOTIFY in the same statement.
 */
export class PgTableQueue implements QueuePort {
  readonly transactional = true;
  private readonly wakeups = new EventEmitter().setMaxListeners(0);
  /** Set by WorkerRegistry once this process registered; claims then record it (jobs.claimed_by). */
  holder: string | undefined;
  /**
   * Set by the local runtime (src/local/prompt.ts): handles a prompt message (PROMPT_MESSAGES, src/topology.ts)
   * inside the transaction that publishes it, instead of writing a job for it. One transaction then carries
   * the change and its consequence: no job to claim, settle and delete, no second commit. What it publishes
   * becomes jobs of the same transaction. Unset (a bare queue), a prompt message is a job like any other.
   */
  handlePrompt: PromptHandler | undefined;
  /**
   * The same consumers as SQL, set with handlePrompt (src/local/prompt.ts), for a use case whose whole change
   * is one statement (promptStatement).
   */
  promptSql: PromptSql | undefined;
  /** What the prompt handlers of a publish added, so that committed() wakes those queues too. */
  private readonly followUps = new WeakMap<Outgoing[], Outgoing[]>();
  private readonly notifier = new NotifyAfterCommit((queue) =>
    this.database.db.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, ${queue})`),
  );

  constructor(private readonly database: Database) {}

  async publish(items: Outgoing[], tx: Executor = this.database.db): Promise<void> {
    if (items.length === 0) return;
    const handlePrompt = this.handlePrompt;
    const prompt = handlePrompt ? items.filter(isPromptNow) : [];
    if (!handlePrompt || prompt.length === 0) {
      // Without a caller's transaction the insert commits at once, and may as well notify as it does.
      const autocommit = tx === this.database.db;
      await this.insert(items, tx, autocommit);
      if (autocommit) this.wake(items.map((item) => item.queue));
      return;
    }
    if (tx === this.database.db) {
      // A prompt message is handled in the transaction that publishes it: give it one.
      await this.database.db.transaction((t) => this.publish(items, t));
      await this.committed(items);
      return;
    }
    // What the prompt handlers publish goes in with the rest of the jobs, in this same transaction.
    const rest = items.filter((item) => !prompt.includes(item));
    for (const item of prompt) {
      await handlePrompt(tx as Tx, item.message as PromptMessage, (...more) => rest.push(...more));
    }
    this.followUps.set(items, rest);
    await this.insert(rest, tx, false);
  }

  /**
   * A prompt message handled inside the single statement that publishes it: the consumer's CTEs (promptSql)
   * and a CTE inserting the jobs they publish. The caller runs the statement on its own (it commits at once)
   * and calls committed() with `message`'s item afterwards, which wakes the workers of its queue.
   */
  promptStatement(message: Outgoing["message"], changed: SQL, now: Date): PromptStatement | undefined {
    if (!this.promptSql || !(PROMPT_MESSAGES as readonly string[]).includes(message.type)) return undefined;
    const work = this.promptSql(message as PromptMessage, changed, now);
    const jobs = work.jobs
      ? [
          sql`prompt_jobs as (insert into jobs (queue, payload, visible_at) select queue, payload, now() from (${work.jobs}) j)`,
        ]
      : [];
    return { ctes: [...work.ctes, ...jobs], timeline: work.timeline };
  }

  /** `notify`: NOTIFY in the same statement, for an insert that commits on its own (see the class). */
  private async insert(items: Outgoing[], tx: Executor, notify: boolean): Promise<void> {
    if (items.length === 0) return;
    // One statement whatever the number of jobs: the rows travel as one JSON parameter, so the text never
    // changes (the driver prepares it once per connection): one round trip inside an intake or push transaction.
    const rows = JSON.stringify(
      items.map((item) => ({ queue: item.queue, payload: item.message, delay: item.delaySeconds ?? 0 })),
    );
    if (!notify) {
      await tx.execute(
        sql`insert into jobs (queue, payload, visible_at)
            select queue, payload, now() + make_interval(secs => delay)
            from jsonb_to_recordset(${rows}::jsonb) as r(queue text, payload jsonb, delay float8)`,
      );
      return;
    }
    await tx.execute(
      sql`with inserted as (
            insert into jobs (queue, payload, visible_at)
            select queue, payload, now() + make_interval(secs => delay)
            from jsonb_to_recordset(${rows}::jsonb) as r(queue text, payload jsonb, delay float8)
            returning queue
          )
          select pg_notify(${NOTIFY_CHANNEL}, queue) from (select distinct queue from inserted) as q`,
    );
  }

  /** Wakes this process's workers of `queues` (jobs became visible: published, or taken over). */
  wake(queues: Iterable<string>): void {
    for (const queue of new Set(queues)) this.wakeups.emit(queue);
  }

  /** Wakes the workers of this process and of others for what a transaction published, once it committed. */
  async committed(items: Outgoing[]): Promise<void> {
    const queues = new Set([...items, ...(this.followUps.get(items) ?? [])].map((i) => i.queue));
    this.wake(queues);
    for (const queue of queues) this.notifier.request(queue);
  }

  /** Wake-ups for a queue from this process and, through LISTEN, from every other process. */
  async subscribe(queue: QueueName, wake: () => void): Promise<() => Promise<void>> {
    this.wakeups.on(queue, wake);
    const unlisten = await this.database.listen(NOTIFY_CHANNEL, (payload) => {
      if (payload === queue) wake();
    });
    return async () => {
      this.wakeups.off(queue, wake);
      await unlisten();
    };
  }

  /**
   * Claims up to `limit` visible jobs, hiding them for `visibilitySeconds`. `handled` are ids of jobs the
   * caller has finished: they are deleted in the same statement, so a worker settles one batch and claims the
   * next in a single round trip (see QueueWorker). `af_claim_jobs` (migration 0026) keeps its plans; its commit
   * does not wait for the disk (../db/no-flush-wait.ts): a claim or delete lost in a database crash is a job
   * delivered again.
   */
  async claim(
    queue: QueueName,
    limit: number,
    visibilitySeconds: number,
    handled: string[] = [],
  ): Promise<ReceivedRecord[]> {
    const rows = await queryRows<JobRow>(
      this.database.db,
      sql`select id, payload, receive_count
          from af_claim_jobs(${queue}::text, ${limit}::int, ${visibilitySeconds}::float8, ${this.holder ?? null}::text,
                             ${idList(handled)})
          where ${noFlushWait}`,
    );
    return rows.map(toReceived);
  }

  async backlogged(queue: QueueName): Promise<boolean> {
    const [row] = await queryRows<{ waiting: boolean }>(
      this.database.db,
      sql`select exists (select 1 from jobs where queue = ${queue} and visible_at <= now()) as waiting`,
    );
    return Boolean(row?.waiting);
  }

  /** Deletes jobs by id. `= any(array)` keeps one statement text for every count (an IN list would not). */
  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.database.db.execute(sql`delete from jobs where id = any(${idArray(ids)}::bigint[])`);
  }

  /**
   * Deletes what was handled; failed jobs become visible again after a backoff, or move to the
   * dead-letter table once they have been received `maxReceives` times.
   */
  async settle(
    records: ReceivedRecord[],
    result: BatchResult,
    maxReceives: number,
    options: { keepHandled?: boolean } = {},
  ): Promise<void> {
    const failedById = new Map(result.failed.map((f) => [f.id, f.error]));
    // keepHandled: the caller deletes the handled jobs with its next claim.
    const done = options.keepHandled ? [] : records.filter((r) => !failedById.has(r.id)).map((r) => r.id);
    const db = this.database.db;
    await this.remove(done);
    for (const record of records) {
      const error = failedById.get(record.id);
      if (error === undefined) continue;
      if (record.receiveCount >= maxReceives) {
        await db.transaction(async (tx) => {
          const [job] = await tx
            .delete(jobs)
            .where(inArray(jobs.id, [Number(record.id)]))
            .returning();
          if (job) {
            await tx.insert(deadJobs).values({
              queue: job.queue,
              payload: job.payload,
              receiveCount: job.receiveCount,
              lastError: error,
              createdAt: job.createdAt,
            });
          }
        });
      } else {
        await db.execute(
          sql`update jobs set visible_at = now() + make_interval(secs => ${retryDelaySeconds(record.receiveCount)}),
                              last_error = ${error}, claimed_by = null
              where id = ${Number(record.id)}`,
        );
      }
    }
  }
}

/** Exponential backoff with full jitter, capped at five minutes. */
export function retryDelaySeconds(receiveCount: number): number {
  const ceiling = Math.min(300, 2 ** Math.min(receiveCount, 8));
  return Math.max(0.5, Math.random() * ceiling);
}
