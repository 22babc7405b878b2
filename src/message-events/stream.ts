import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../db/client";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor } from "../pagination";

/** A position in a partner's event stream: the writing transaction's id, then the row's. */
export interface StreamPosition {
  txid: number;
  id: number;
}

/** What a partner's reminder goes through: the reminder decision's, then its SMS's. */
export const MESSAGE_EVENT_STATUSES = [
  "scheduled",
  "deferred",
  "attached",
  "suppressed",
  "submitted",
  "delivered",
  "failed",
  "expired",
] as const;
export type MessageEventStatus = (typeof MESSAGE_EVENT_STATUSES)[number];

export const STREAM_START: StreamPosition = { txid: 0, id: 0 };
export const PULL_MAX_LIMIT = 1000;

/** One status change of a partner's reminder, as callbacks carry it and the pull answers it. */
export interface MessageEvent {
  /** Unique and stable: a receiver de-duplicates on it (a callback batch may come twice). */
  id: string;
  /** Pass as `after` to read the events that follow this one. Increases along the stream. */
  cursor: string;
  waybillNo: string;
  kind: string;
  parcelEventId: string;
  messageId: string | null;
  status: MessageEventStatus;
  reason: string | null;
  test: boolean;
  at: string;
}

export const eventIdOf = (id: number) => `mev_${id}`;
export const encodePosition = (p: StreamPosition) => encodeCursor({ x: p.txid, i: p.id });

export function decodePosition(cursor: string): StreamPosition {
  try {
    return decodeCursor(cursor, (v) => {
      const { x, i } = (typeof v === "object" && v !== null ? v : {}) as { x?: unknown; i?: unknown };
      return Number.isSafeInteger(x) && Number.isSafeInteger(i) && (x as number) >= 0 && (i as number) >= 0
        ? { txid: x as number, id: i as number }
        : undefined;
    });
  } catch {
    throw new AppError("VALIDATION_FAILED", "`after` must be a cursor this endpoint returned", [
      { path: "after", message: "invalid cursor" },
    ]);
  }
}

interface Row {
  id: string | number;
  txid: string | number;
  parcel_event_id: string;
  waybill_no: string;
  kind: string;
  message_id: string | null;
  status: MessageEventStatus;
  reason: string | null;
  test: boolean;
  at: string | Date;
}

/**
 * A partner's events after a position, oldest first. Only events of transactions older than every
 * transaction still running are read (pg_snapshot_xmin): later ones wait for the next read, so a cursor never
 * passes an event that was still being written (schema/partner-callbacks.ts). Unlike the feedback pull, this
 * takes no table lock: SMS sends write this table hundreds of times a second and must not wait for readers.
 * The price: transaction ids are the whole server's, so a long-running writing transaction anywhere on it (a bulk
 * import, a session left open in a transaction) holds back events written after it began until it ends. Readers
 * are not held up (a read-only transaction takes no id), and deliveries catch up on the next tick.
 */
export async function readEvents(
  db: Executor,
  partnerId: string,
  after: StreamPosition,
  limit: number,
): Promise<{ events: MessageEvent[]; last: StreamPosition }> {
  const rows = await queryRows<Row>(
    db,
    sql`select id, txid, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at
        from partner_message_events
        where partner_id = ${partnerId}
          and (txid, id) > (${after.txid}::bigint, ${after.id}::bigint)
          and txid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
        order by txid, id
        limit ${limit}`,
  );
  let last = after;
  const events = rows.map((r) => {
    last = { txid: Number(r.txid), id: Number(r.id) };
    return {
      id: eventIdOf(Number(r.id)),
      cursor: encodePosition(last),
      waybillNo: r.waybill_no,
      kind: r.kind,
      parcelEventId: r.parcel_event_id,
      messageId: r.message_id,
      status: r.status,
      reason: r.reason,
      test: Boolean(r.test),
      at: new Date(r.at).toISOString(),
    };
  });
  return { events, last };
}

/** Where a new callback starts: after everything already written, so setting one does not replay history. */
export async function streamEnd(db: Executor, partnerId: string): Promise<StreamPosition> {
  const [row] = await queryRows<{ txid: string | number; id: string | number }>(
    db,
    sql`select txid, id from partner_message_events where partner_id = ${partnerId}
        order by txid desc, id desc limit 1`,
  );
  return row ? { txid: Number(row.txid), id: Number(row.id) } : STREAM_START;
}

/** The pull: GET /v1/partners/{id}/message-events?after=<cursor>. */
export async function pullMessageEvents(
  db: Executor,
  partnerId: string,
  input: { after?: string; limit: number },
): Promise<{ events: MessageEvent[]; nextCursor: string; hasMore: boolean }> {
  const after = input.after ? decodePosition(input.after) : STREAM_START;
  const { events, last } = await readEvents(db, partnerId, after, input.limit + 1);
  const page = events.slice(0, input.limit);
  const hasMore = events.length > input.limit;
  const end = hasMore ? (page.at(-1)?.cursor ?? encodePosition(after)) : encodePosition(last);
  return { events: page, nextCursor: end, hasMore };
}
