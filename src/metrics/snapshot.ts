import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../db/client";

/**
 * What an operator watches, read from the database at scrape time (src/http/metrics.ts exposes it): the
 * figures are the same whichever process answers and however many workers run, which counters kept in one
 * process's memory would not be. Each query reads an index or a small table; a scrape every 15-60 s costs
 * a few milliseconds.
 */
export interface MetricsSnapshot {
  /** The local runtime's queues (the jobs table; in the cloud SQS reports these to CloudWatch). */
  queues: { queue: string; ready: number; delayed: number; running: number; oldestReadySeconds: number }[];
  deadJobs: { queue: string; count: number }[];
  /** SMS created in the last 24 hours, by lane and where they stand now. */
  sms: { lane: string; status: string; count: number }[];
  /** The oldest SMS still waiting to be submitted, per lane: victim warnings stuck behind anything show here. */
  smsOldestQueuedSeconds: { lane: string; seconds: number }[];
  /** Open alerts by stage and level, and how many of them are past their deadline now. */
  alerts: { stage: string; riskLevel: string; count: number; overdue: number }[];
  /** Escalation steps paged in the last 24 hours. */
  escalations24h: number;
  /** Feedback callbacks owed (and how many of those have failed at least once) and given up on. */
  feedback: { pending: number; failing: number; dead: number };
}

const DAY = sql`interval '24 hours'`;

export async function metricsSnapshot(executor: Executor, now: Date): Promise<MetricsSnapshot> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const [queues, deadJobs, sms, smsOldest, alerts, escalations, feedback] = await Promise.all([
    queryRows<{ queue: string; ready: number; delayed: number; running: number; oldest: number }>(
      executor,
      sql`
      select queue,
        count(*) filter (where visible_at <= ${at})::int as ready,
        count(*) filter (where visible_at > ${at} and claimed_by is null)::int as delayed,
        count(*) filter (where visible_at > ${at} and claimed_by is not null)::int as running,
        coalesce(extract(epoch from ${at} - min(created_at) filter (where visible_at <= ${at})), 0)::float8 as oldest
      from jobs group by queue`,
    ),
    queryRows<{ queue: string; count: number }>(
      executor,
      sql`select queue, count(*)::int as count from dead_jobs group by queue`,
    ),
    queryRows<{ lane: string; status: string; count: number }>(
      executor,
      sql`
      select lane, status, count(*)::int as count from sms_messages
      where created_at > ${at} - ${DAY} and personal_data_purged_at is null and not test
      group by lane, status`,
    ),
    queryRows<{ lane: string; seconds: number }>(
      executor,
      sql`
      select lane, extract(epoch from ${at} - min(created_at))::float8 as seconds from sms_messages
      where status = 'queued' and not test group by lane`,
    ),
    queryRows<{ stage: string; risk_level: string; count: number; overdue: number }>(
      executor,
      sql`
      select stage, risk_level, count(*)::int as count,
        count(*) filter (where deadline_at < ${at})::int as overdue
      from alerts where stage in ('received', 'pushed', 'acknowledged') group by stage, risk_level`,
    ),
    queryRows<{ count: number }>(
      executor,
      sql`
      select count(*)::int as count from alert_events where kind = 'escalated' and at > ${at} - ${DAY}`,
    ),
    queryRows<{ pending: number; failing: number; dead: number }>(
      executor,
      sql`
      select count(*) filter (where status = 'pending')::int as pending,
        count(*) filter (where status = 'pending' and attempts > 0)::int as failing,
        count(*) filter (where status = 'dead')::int as dead
      from feedback_events where status in ('pending', 'dead')`,
    ),
  ]);
  const fb = feedback[0];
  return {
    queues: queues.map((q) => ({
      queue: q.queue,
      ready: Number(q.ready),
      delayed: Number(q.delayed),
      running: Number(q.running),
      oldestReadySeconds: Math.max(0, Number(q.oldest)),
    })),
    deadJobs: deadJobs.map((d) => ({ queue: d.queue, count: Number(d.count) })),
    sms: sms.map((s) => ({ lane: s.lane, status: s.status, count: Number(s.count) })),
    smsOldestQueuedSeconds: smsOldest.map((s) => ({ lane: s.lane, seconds: Math.max(0, Number(s.seconds)) })),
    alerts: alerts.map((a) => ({
      stage: a.stage,
      riskLevel: a.risk_level,
      count: Number(a.count),
      overdue: Number(a.overdue),
    })),
    escalations24h: Number(escalations[0]?.count ?? 0),
    feedback: {
      pending: Number(fb?.pending ?? 0),
      failing: Number(fb?.failing ?? 0),
      dead: Number(fb?.dead ?? 0),
    },
  };
}
