import { eq, sql } from "drizzle-orm";
import { devOutbox } from "../../schema";
import { queryRows } from "../../src/db/client";
import { applyReceipt } from "../../src/sms/receipts/receipts";
import type { TestContext } from "../support/context";
import type { TestPartner } from "../support/partners";

type Credentials = Pick<TestPartner, "id" | "apiKey">;

export async function partnerGet(ctx: TestContext, partner: Credentials, path: string) {
  return ctx.app.request(`/v1/partners/${partner.id}${path}`, {
    headers: { authorization: `Bearer ${partner.apiKey}` },
  });
}

export async function partnerSend(
  ctx: TestContext,
  partner: Credentials,
  method: string,
  path: string,
  body?: unknown,
) {
  return ctx.app.request(`/v1/partners/${partner.id}${path}`, {
    method,
    headers: { authorization: `Bearer ${partner.apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export interface PulledEvent {
  id: string;
  cursor: string;
  waybillNo: string;
  status: string;
  reason: string | null;
  messageId: string | null;
  test: boolean;
}

/** Every event the pull gives from the start (or a cursor), following nextCursor page by page. */
/**
 * Waits until every event written so far is readable. Readers see an event once no transaction older than the
 * one that wrote it is still running (src/message-events/stream.ts); on a PostgreSQL server shared by other test
 * workers their transactions count too, so an event committed a moment ago may wait a few milliseconds.
 */
export async function eventsReadable(ctx: TestContext): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = await queryRows<{ ready: boolean }>(
      ctx.deps.db,
      sql`select coalesce(max(txid), 0) < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint as ready
          from partner_message_events`,
    );
    if (row?.ready) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("events did not become readable within 5 s");
}

export async function pullAll(
  ctx: TestContext,
  partner: Credentials,
  options: { after?: string; limit?: number; wait?: boolean } = {},
) {
  if (options.wait !== false) await eventsReadable(ctx);
  const events: PulledEvent[] = [];
  let after = options.after;
  for (let page = 0; page < 100; page++) {
    const query = new URLSearchParams({ limit: String(options.limit ?? 100), ...(after ? { after } : {}) });
    const res = await partnerGet(ctx, partner, `/message-events?${query}`);
    if (res.status !== 200) throw new Error(`pull answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { events: PulledEvent[]; nextCursor: string; hasMore: boolean };
    events.push(...body.events);
    after = body.nextCursor;
    if (!body.hasMore) return { events, nextCursor: after };
  }
  throw new Error("pull did not end");
}

/** The handset's receipt for an SMS the dev outbox took, as the outbox would simulate it. */
export async function receiptFor(ctx: TestContext, messageId: string, status: "delivered" | "failed") {
  const [row] = await ctx.deps.db.select().from(devOutbox).where(eq(devOutbox.messageId, messageId));
  if (!row) throw new Error(`no outbox entry for ${messageId}`);
  await applyReceipt(ctx.deps.db, { channel: "outbox", providerMessageId: row.id, status });
}

/** What the scheduler does every few seconds: start deliveries for callbacks with events waiting. */
export async function tick(ctx: TestContext) {
  await eventsReadable(ctx);
  await ctx.deps.queue.publish([
    { queue: "partner-callbacks", message: { type: "partner-callbacks.tick", v: 1 } },
  ]);
  await ctx.drain();
}
