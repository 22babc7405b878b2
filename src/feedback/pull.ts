import { and, asc, eq, gt, sql } from "drizzle-orm";
import { feedbackEvents } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { decodeCursor, encodeCursor } from "../pagination";
import { transact } from "../queue/outbox";
import { markDelivered } from "./settle";

export const PULL_MAX_LIMIT = 1000;

export interface PullPage {
  /** Each event exactly as a callback would carry it (eventId, alertId, externalId, outcome, amounts, stage times). */
  events: Record<string, unknown>[];
  /** Pass back as `after` for the events that follow; the same cursor when there were none yet. */
  nextCursor: string;
  hasMore: boolean;
}

function readCursor(cursor: string): number {
  try {
    return decodeCursor(cursor, (v) =>
      typeof v === "object" && v !== null && Number.isSafeInteger((v as { seq?: unknown }).seq)
        ? (v as { seq: number }).seq
        : undefined,
    );
  } catch {
    throw new AppError("VALIDATION_FAILED", "`after` must be a nextCursor this endpoint returned", [
      { path: "after", message: "invalid cursor" },
    ]);
  }
}

/**
 * 快反 for sources without a callback URL: their feedback events in `seq` order after the cursor.
 * Every event of the source is listed (also those pushed by callback), so a source can reconcile; events
 * waiting for a pull are marked delivered when served, which lets their alert reach `fed_back`. A response
 * lost on the way is harmless: the source asks again with the same cursor and gets the same events.
 *
 * `seq` is a bigserial, handed out when a row is inserted, not when its transaction commits: outcome A may
 * take seq 10, outcome B seq 11, and B commit first. A reader that saw 11 and moved its cursor past it
 * would never see 10. So the page is read under `LOCK TABLE feedback_events IN SHARE MODE`, which waits for
 * every open transaction that has written the table and holds off new writers while the page is read.
 * With no writer in flight, every seq below the highest visible one is committed (or rolled back for
 * good), and any later insert takes a larger seq: each event is served once, in order. SHARE locks do not
 * conflict with each other, so pulls run side by side; writers wait at most for one indexed read. The lock
 * is only taken to read; marking delivered happens after, in its own transaction, so a pull never holds
 * the table lock while waiting for an alert row (whose holders may be waiting for the table).
 */
export async function pullFeedback(
  deps: Pick<Deps, "db" | "queue" | "clock">,
  sourceId: string,
  input: { after?: string; limit: number },
): Promise<PullPage> {
  const after = input.after ? readCursor(input.after) : 0;
  let rows: { id: string; seq: number; alertId: string; status: string; payload: Record<string, unknown> }[];
  try {
    rows = await deps.db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '5s'`);
      await tx.execute(sql`lock table ${feedbackEvents} in share mode`);
      return tx
        .select({
          id: feedbackEvents.id,
          seq: feedbackEvents.seq,
          alertId: feedbackEvents.alertId,
          status: feedbackEvents.status,
          payload: feedbackEvents.payload,
        })
        .from(feedbackEvents)
        .where(and(eq(feedbackEvents.sourceId, sourceId), gt(feedbackEvents.seq, after)))
        .orderBy(asc(feedbackEvents.seq))
        .limit(input.limit + 1);
    });
  } catch (error) {
    if (isLockTimeout(error)) {
      throw new AppError(
        "UNAVAILABLE",
        "feedback is being written right now; try again in a second",
        undefined,
        1,
      );
    }
    throw error;
  }
  const page = rows.slice(0, input.limit);

  const waiting = new Map<string, string[]>();
  for (const row of page) {
    if (row.status === "pull") waiting.set(row.alertId, [...(waiting.get(row.alertId) ?? []), row.id]);
  }
  if (waiting.size > 0) {
    const now = deps.clock.now();
    await transact(deps, async (tx) => {
      // Alerts in id order, so two pulls locking the same alerts cannot deadlock.
      for (const alertId of [...waiting.keys()].sort()) {
        await markDelivered(tx, {
          alertId,
          eventIds: waiting.get(alertId) ?? [],
          from: "pull",
          via: "pull",
          at: now,
        });
      }
    });
  }

  const last = page.at(-1);
  return {
    events: page.map((row) => row.payload),
    nextCursor: encodeCursor({ seq: last ? last.seq : after }),
    hasMore: rows.length > input.limit,
  };
}

function isLockTimeout(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "55P03") return true;
  }
  return false;
}
