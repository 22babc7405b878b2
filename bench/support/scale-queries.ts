import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client";

/**
 * What bench:scale counts in the database, by the warnings' externalId prefix. Every bench warning's subject
 * is a distinct mainland mobile, so every alert owes exactly one victim warning SMS; times are epoch ms.
 */

export interface Progress {
  alerts: number;
  pushed: number;
  /** Victim SMS handed to the channel (submitted_at set). */
  texted: number;
  lastPushedAt: number | null;
  lastTextedAt: number | null;
  firstTextedAt: number | null;
}

export async function progressOf(db: Db, prefix: string): Promise<Progress> {
  const [row] = await queryRows<{
    alerts: number;
    pushed: number;
    texted: number;
    last_pushed: number | null;
    first_texted: number | null;
    last_texted: number | null;
  }>(
    db,
    sql`select count(*)::int as alerts,
               count(a.pushed_at)::int as pushed,
               count(m.submitted_at)::int as texted,
               (extract(epoch from max(a.pushed_at)) * 1000)::float8 as last_pushed,
               (extract(epoch from min(m.submitted_at)) * 1000)::float8 as first_texted,
               (extract(epoch from max(m.submitted_at)) * 1000)::float8 as last_texted
          from warnings w join alerts a on a.id = w.alert_id
          left join sms_messages m on m.alert_id = a.id and m.purpose = 'victim_warning'
         where w.external_id like ${`${prefix}-%`}`,
  );
  return {
    alerts: row?.alerts ?? 0,
    pushed: row?.pushed ?? 0,
    texted: row?.texted ?? 0,
    lastPushedAt: row?.last_pushed ?? null,
    firstTextedAt: row?.first_texted ?? null,
    lastTextedAt: row?.last_texted ?? null,
  };
}

/**
 * Per alert: received → victim SMS submitted, and received → pushed_at (stamped when the push starts its
 * writes, before its commit), in ms. Both ends are stamped by the processes' clocks on this one machine.
 */
export async function latencies(db: Db, prefix: string): Promise<{ texted: number[]; stamped: number[] }> {
  const rows = await queryRows<{ texted: number | null; stamped: number | null }>(
    db,
    sql`select (extract(epoch from m.submitted_at - a.received_at) * 1000)::float8 as texted,
               (extract(epoch from a.pushed_at - a.received_at) * 1000)::float8 as stamped
          from warnings w join alerts a on a.id = w.alert_id
          left join sms_messages m on m.alert_id = a.id and m.purpose = 'victim_warning'
         where w.external_id like ${`${prefix}-%`}`,
  );
  const present = (v: number | null) => (v === null ? [] : [Number(v)]);
  return { texted: rows.flatMap((r) => present(r.texted)), stamped: rows.flatMap((r) => present(r.stamped)) };
}

/** SMS parts the dev outbox took since `since` (epoch ms), whatever their purpose: what its rate limit counts. */
export async function outboxParts(db: Db, since: number): Promise<{ parts: number; messages: number }> {
  const [row] = await queryRows<{ parts: number; messages: number }>(
    db,
    sql`select coalesce(sum(segments), 0)::int as parts, count(*)::int as messages
          from dev_outbox where created_at >= to_timestamp(${since / 1000})`,
  );
  return { parts: row?.parts ?? 0, messages: row?.messages ?? 0 };
}

/** Backends serving `database`, for their CPU time. */
export async function backendPids(db: Db, database: string): Promise<number[]> {
  const rows = await queryRows<{ pid: number }>(
    db,
    sql`select pid from pg_stat_activity where datname = ${database}`,
  );
  return rows.map((r) => r.pid);
}
