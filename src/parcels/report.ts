import { sql } from "drizzle-orm";
import { shanghaiMidnight } from "../calendar";
import { queryRows } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { csvDocument } from "../reports/csv";

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

export interface SmsReportQuery {
  stationId: string;
  /** Asia/Shanghai dates, inclusive. */
  from: string;
  to: string;
  partnerId?: string;
  /** Test-mode traffic instead of live: a test key's own report. Live reports never count test traffic. */
  test?: boolean;
}

export interface SmsReportRow {
  day: string;
  partnerId: string;
  partnerName: string;
  eventsReceived: number;
  /** Reminders queued for our bulk lane, including those released after quiet hours. */
  scheduled: number;
  attached: number;
  /** Events whose reminder waited for quiet hours to end (released since or still waiting). */
  deferred: number;
  suppressed: number;
  suppressedByReason: Record<string, number>;
  submitted: number;
  delivered: number;
  failed: number;
  expired: number;
  /** delivered / submitted; null when nothing was submitted. */
  deliveryRate: number | null;
  medianSubmitToDeliveredSeconds: number | null;
  uniqueRecipientsReached: number;
  partsUsed: number;
}

/**
 * Courier + SMS figures per Asia/Shanghai day and partner. Event figures count by the day an event was
 * received; SMS figures by the day the reminder entered the bulk lane (for a deferred reminder, the morning it
 * was released). Always scoped to one station, and to one partner when a partner asks.
 */
export async function smsReport(deps: Pick<Deps, "db">, query: SmsReportQuery) {
  if (query.to < query.from) {
    throw new AppError("VALIDATION_FAILED", "the report range is not valid", [
      { path: "to", message: "must not be before from" },
    ]);
  }
  const start = shanghaiMidnight(query.from);
  const end = new Date(shanghaiMidnight(query.to).getTime() + DAY_MS);
  if (end.getTime() - start.getTime() > MAX_DAYS * DAY_MS) {
    throw new AppError("VALIDATION_FAILED", "the report range is too long", [
      { path: "to", message: `at most ${MAX_DAYS} days after from` },
    ]);
  }
  const partnerFilter = query.partnerId ? sql`and p.id = ${query.partnerId}` : sql``;
  const startIso = start.toISOString();
  const endIso = end.toISOString();

  const [events, reasons, messages] = await Promise.all([
    queryRows<{
      day: string;
      partner_id: string;
      received: number;
      scheduled: number;
      attached: number;
      deferred: number;
      suppressed: number;
    }>(
      deps.db,
      sql`select (pe.received_at at time zone 'Asia/Shanghai')::date::text as day, pe.partner_id,
                 count(*)::int as received,
                 (count(*) filter (where pe.decision = 'scheduled'))::int as scheduled,
                 (count(*) filter (where pe.decision = 'attached'))::int as attached,
                 (count(*) filter (where pe.deferred_until is not null))::int as deferred,
                 (count(*) filter (where pe.decision = 'suppressed'))::int as suppressed
          from parcel_events pe join partners p on p.id = pe.partner_id
          where p.station_id = ${query.stationId} ${partnerFilter} and pe.test = ${query.test ?? false}
            and pe.received_at >= ${startIso}::timestamptz and pe.received_at < ${endIso}::timestamptz
          group by 1, 2`,
    ),
    queryRows<{ day: string; partner_id: string; reason: string; n: number }>(
      deps.db,
      sql`select (pe.received_at at time zone 'Asia/Shanghai')::date::text as day, pe.partner_id,
                 coalesce(pe.reason, 'unknown') as reason, count(*)::int as n
          from parcel_events pe join partners p on p.id = pe.partner_id
          where p.station_id = ${query.stationId} ${partnerFilter} and pe.decision = 'suppressed'
            and pe.test = ${query.test ?? false}
            and pe.received_at >= ${startIso}::timestamptz and pe.received_at < ${endIso}::timestamptz
          group by 1, 2, 3`,
    ),
    queryRows<{
      day: string;
      partner_id: string;
      submitted: number;
      delivered: number;
      failed: number;
      expired: number;
      median_seconds: number | string | null;
      reached: number;
      parts: number;
    }>(
      deps.db,
      sql`select (m.created_at at time zone 'Asia/Shanghai')::date::text as day, m.partner_id,
                 (count(*) filter (where m.submitted_at is not null))::int as submitted,
                 (count(*) filter (where m.status = 'delivered'))::int as delivered,
                 (count(*) filter (where m.status = 'failed'))::int as failed,
                 (count(*) filter (where m.status = 'expired'))::int as expired,
                 percentile_cont(0.5) within group (order by extract(epoch from m.finished_at - m.submitted_at))
                   filter (where m.status = 'delivered' and m.submitted_at is not null) as median_seconds,
                 (count(distinct m.recipient_hash) filter (where m.status = 'delivered'))::int as reached,
                 coalesce(sum(m.segments) filter (where m.submitted_at is not null), 0)::int as parts
          from sms_messages m join partners p on p.id = m.partner_id
          where p.station_id = ${query.stationId} ${partnerFilter} and m.purpose = 'parcel_reminder'
            and m.test = ${query.test ?? false}
            and m.created_at >= ${startIso}::timestamptz and m.created_at < ${endIso}::timestamptz
          group by 1, 2`,
    ),
  ]);
  const names = await queryRows<{ id: string; name: string }>(
    deps.db,
    sql`select p.id, p.name from partners p where p.station_id = ${query.stationId} ${partnerFilter}`,
  );
  const nameOf = new Map(names.map((n) => [n.id, n.name]));

  const rows = new Map<string, SmsReportRow>();
  const rowFor = (day: string, partnerId: string): SmsReportRow => {
    const key = `${day}|${partnerId}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        day,
        partnerId,
        partnerName: nameOf.get(partnerId) ?? partnerId,
        eventsReceived: 0,
        scheduled: 0,
        attached: 0,
        deferred: 0,
        suppressed: 0,
        suppressedByReason: {},
        submitted: 0,
        delivered: 0,
        failed: 0,
        expired: 0,
        deliveryRate: null,
        medianSubmitToDeliveredSeconds: null,
        uniqueRecipientsReached: 0,
        partsUsed: 0,
      };
      rows.set(key, row);
    }
    return row;
  };
  for (const e of events) {
    Object.assign(rowFor(e.day, e.partner_id), {
      eventsReceived: e.received,
      scheduled: e.scheduled,
      attached: e.attached,
      deferred: e.deferred,
      suppressed: e.suppressed,
    });
  }
  for (const r of reasons) rowFor(r.day, r.partner_id).suppressedByReason[r.reason] = r.n;
  for (const m of messages) {
    const median = m.median_seconds === null ? null : Number(m.median_seconds);
    Object.assign(rowFor(m.day, m.partner_id), {
      submitted: m.submitted,
      delivered: m.delivered,
      failed: m.failed,
      expired: m.expired,
      deliveryRate: m.submitted > 0 ? round(m.delivered / m.submitted, 4) : null,
      medianSubmitToDeliveredSeconds: median === null ? null : round(median, 1),
      uniqueRecipientsReached: m.reached,
      partsUsed: m.parts,
    });
  }
  const sorted = [...rows.values()].sort((a, b) =>
    a.day === b.day
      ? a.partnerName.localeCompare(b.partnerName) || a.partnerId.localeCompare(b.partnerId)
      : a.day < b.day
        ? -1
        : 1,
  );
  return { from: query.from, to: query.to, timeZone: "Asia/Shanghai", rows: sorted };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

const CSV_COLUMNS = [
  "day",
  "partnerId",
  "partnerName",
  "eventsReceived",
  "scheduled",
  "attached",
  "deferred",
  "suppressed",
] as const;
const CSV_SMS_COLUMNS = [
  "submitted",
  "delivered",
  "failed",
  "expired",
  "deliveryRate",
  "medianSubmitToDeliveredSeconds",
  "uniqueRecipientsReached",
  "partsUsed",
] as const;

/**
 * One line per day and partner; a `suppressed_<reason>` column for every reason the caps and the decision
 * can give (so columns do not come and go between reports), plus any other reason present.
 */
export function smsReportCsv(rows: SmsReportRow[], knownReasons: string[]): string {
  const reasons = [...new Set([...knownReasons, ...rows.flatMap((r) => Object.keys(r.suppressedByReason))])];
  const header = [...CSV_COLUMNS, ...reasons.map((r) => `suppressed_${r}`), ...CSV_SMS_COLUMNS];
  return csvDocument(
    header,
    rows.map((r) => [
      ...CSV_COLUMNS.map((c) => r[c]),
      ...reasons.map((reason) => r.suppressedByReason[reason] ?? 0),
      ...CSV_SMS_COLUMNS.map((c) => r[c]),
    ]),
  );
}
