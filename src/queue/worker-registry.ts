import { hostname } from "node:os";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { queryRows } from "../db/client";
import { newId } from "../ids";
import type { Log } from "../log";
import type { PgTableQueue } from "./pg-queue";

export interface RegistryOptions {
  heartbeatSeconds: number;
  staleAfterSeconds: number;
}

export interface TakeOver {
  /** Worker processes found dead (their heartbeat stale) and removed. */
  workers: string[];
  /** Jobs they held, visible again. */
  jobs: number;
  /** SMS whose send lease they held, free again (as outcome unknown: see src/sms/dispatch/send.ts). */
  sms: number;
}

/**
 * Worker processes of the local runtime register here and beat a heartbeat, in PostgreSQL, so that a
 * process that dies (kill -9, power cut, OOM) does not keep its claimed jobs invisible for the whole
 * visibility timeout, nor its SMS leased for the whole send lease: a victim warning it had claimed would
 * otherwise wait 60-150 s. At start and on every beat a worker looks for processes whose heartbeat is older
 * than `staleAfterSeconds`, deletes them and, in the same statement, makes what they held available again.
 * A clean stop deregisters and hands back anything still held, so nothing waits for the stale time.
 *
 * Time is the database's (`now()`), as for the queue's visibility: processes on different machines share one
 * clock. The SQS runtime does not use this; SQS has its own visibility timeout and Lambda its own lifetime.
 */
export class WorkerRegistry {
  readonly id = newId("worker");
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly database: Database,
    private readonly queue: PgTableQueue,
    private readonly log: Log,
    private readonly options: RegistryOptions,
  ) {}

  /** Registers, takes over what dead processes held, then beats until `stop()`. */
  async start(): Promise<void> {
    await this.register();
    this.queue.holder = this.id;
    await this.takeOver();
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => {
        this.beating = undefined;
      });
    }, this.options.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Deregisters and hands back what this process still holds; call after its workers have stopped. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    this.queue.holder = undefined;
    await queryRows(
      this.database.db,
      sql`with gone as (delete from queue_workers where id = ${this.id} returning id)
          ${releaseHeldBy(sql`select id from gone union select ${this.id}`)}`,
    );
  }

  /**
   * Finds processes whose heartbeat is stale and, in one statement, deletes them and frees their jobs and
   * SMS leases. Only holders deleted by this very statement are taken over, never "a holder not in the
   * table": a process that registered after this statement's snapshot must not lose what it just claimed.
   */
  async takeOver(): Promise<TakeOver> {
    const [row] = await queryRows<{
      workers: string[] | null;
      jobs: number;
      sms: number;
      queues: string[] | null;
    }>(
      this.database.db,
      sql`with dead as (
            delete from queue_workers
            where heartbeat_at < now() - make_interval(secs => ${this.options.staleAfterSeconds})
            returning id
          )
          ${releaseHeldBy(sql`select id from dead`)}`,
    );
    const result = {
      workers: (row?.workers ?? []).filter(Boolean),
      jobs: Number(row?.jobs ?? 0),
      sms: Number(row?.sms ?? 0),
    };
    if (result.workers.length > 0) {
      this.log.warn(result, "took over from worker processes that stopped beating");
      this.queue.wake(row?.queues ?? []);
    }
    return result;
  }

  private async register(): Promise<void> {
    await this.database.db.execute(
      sql`insert into queue_workers (id, host, pid) values (${this.id}, ${hostname()}, ${process.pid})
          on conflict (id) do update set heartbeat_at = now()`,
    );
  }

  private async beat(): Promise<void> {
    try {
      const rows = await queryRows<{ id: string }>(
        this.database.db,
        sql`update queue_workers set heartbeat_at = now() where id = ${this.id} returning id`,
      );
      if (rows.length === 0) {
        // Another worker took this one for dead (it stalled past the stale time) and took over its work.
        // It goes on, registered again; what it still sends was handed over as outcome unknown.
        this.log.error({ workerId: this.id }, "this worker was taken for dead; registering again");
        await this.register();
      }
      await this.takeOver();
    } catch (error) {
      this.log.error({ err: error, workerId: this.id }, "worker heartbeat failed");
    }
  }
}

/**
 * The rest of a take-over statement: jobs held by `holders` become visible now; SMS they leased while still
 * queued lose the lease and are marked `outcome_unknown`, because the holder may have died after the
 * provider accepted the message and before recording it. The next sender then sends again only where that
 * cannot text the person twice (src/sms/dispatch/send.ts: the channel de-duplicates by our id, or is asked first).
 */
function releaseHeldBy(holders: ReturnType<typeof sql>) {
  return sql`, holders as (${holders}),
    jobs_back as (
      update jobs set visible_at = now(), claimed_by = null
      where claimed_by in (select id from holders) and visible_at > now()
      returning queue
    ),
    sms_back as (
      update sms_messages set lease_until = null, lease_holder = null, hold_reason = 'outcome_unknown'
      where lease_holder in (select id from holders) and (status = 'queued') is true and lease_until is not null
      returning id
    ),
    sms_events_back as (
      insert into sms_events (message_id, status, detail)
      select id, 'queued', 'its sender stopped; taken over by another worker' from sms_back
    )
    select (select array_agg(id) from holders) as workers,
           (select count(*) from jobs_back)::int as jobs,
           (select count(*) from sms_back)::int as sms,
           (select array_agg(distinct queue) from jobs_back) as queues`;
}
