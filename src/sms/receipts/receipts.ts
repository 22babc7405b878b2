/**
 * receipts/: what became of an SMS after the provider took it. Delivery receipts from partners' webhooks,
 * SNS delivery-status logs (src/sms/channels/sns-delivery-log.ts) and the dev outbox are applied here, also
 * when they overtake our record of the send; a message whose receipt never came expires (expiry.ts).
 */
import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../db/client";

export interface DeliveryReceipt {
  /** The channel the message went out on (`outbox`, `sns`, `http`, `partner:<id>`). */
  channel: string;
  /** The provider's message id, as its send answer named it. */
  providerMessageId?: string;
  /** Our message id, for providers that report by client reference (and for unknown outcomes). */
  messageId?: string;
  status: "delivered" | "failed";
  detail?: string;
}

/**
 * applied: the message took the receipt's status. duplicate: the message already has a final status (a
 * repeated or late receipt), nothing changed. pending: no sent message carries this id yet; the receipt is
 * kept and applied when the submit is recorded. unmatched: the receipt names nothing we could ever match.
 */
export type ReceiptOutcome = "applied" | "duplicate" | "pending" | "unmatched";

/** Pending receipts by our id are kept under this key, beside those by provider id. */
const refKey = (messageId: string) => `ref:${messageId}`;

/**
 * Applies a provider's delivery receipt to the message it names. A repeated receipt changes nothing. A
 * receipt can overtake the provider's answer to our send (the provider is fast, our write is slow): then
 * it is stored in `pending_receipts`, and whichever of the two writes comes second applies it — the submit
 * (applyPendingReceipts after recording it) or this function's own re-check after storing it. Each side
 * writes, commits, then looks, so one of them always sees the other: call this outside a transaction.
 */
export async function applyReceipt(db: Executor, receipt: DeliveryReceipt): Promise<ReceiptOutcome> {
  const key = receipt.providerMessageId ?? (receipt.messageId ? refKey(receipt.messageId) : undefined);
  if (!key) return "unmatched";
  if (await settle(db, receipt)) return "applied";

  const existing = await findMessage(db, receipt);
  // The submit may have been recorded between the settle and this look: settle once more. Only a final status
  // (another copy of the receipt won) makes this one a duplicate.
  if (existing?.status === "submitted" || existing?.status === "expired") {
    return (await settle(db, receipt)) ? "applied" : "duplicate";
  }
  if (existing && existing.status !== "queued") return "duplicate";

  await db.execute(
    sql`insert into pending_receipts (channel, provider_message_id, status, detail)
        values (${receipt.channel}, ${key}, ${receipt.status}, ${receipt.detail ?? null})
        on conflict (channel, provider_message_id, status) do nothing`,
  );
  // The submit may have been recorded between our first look and the insert: look once more.
  const now = await findMessage(db, receipt);
  if (now && now.status !== "queued") {
    const applied = await applyPendingReceipts(db, receipt.channel, now.id, now.providerMessageId);
    if (applied > 0) return "applied";
  }
  return "pending";
}

/**
 * Applies receipts that arrived before the submit of message `messageId` was recorded. Each pending row is
 * taken with DELETE ... RETURNING in the same transaction that applies it, so two callers never both
 * apply one, and a crash in between loses nothing.
 */
export async function applyPendingReceipts(
  db: Executor,
  channel: string,
  messageId: string,
  providerMessageId: string | null,
): Promise<number> {
  const keys = [refKey(messageId), ...(providerMessageId ? [providerMessageId] : [])];
  return db.transaction(async (tx) => {
    const taken = await queryRows<{ status: "delivered" | "failed"; detail: string | null }>(
      tx,
      sql`delete from pending_receipts
          where channel = ${channel} and provider_message_id in (${sql.join(
            keys.map((k) => sql`${k}`),
            sql`, `,
          )})
          returning id, status, detail`,
    );
    let applied = 0;
    for (const p of taken) {
      const ok = await settle(tx, {
        channel,
        messageId,
        providerMessageId: providerMessageId ?? undefined,
        status: p.status,
        detail: p.detail ?? undefined,
      });
      if (ok) applied++;
    }
    return applied;
  });
}

/**
 * Of these just-recorded submits, the ids of those a receipt is already waiting for (by provider id or by our
 * id): they call for applyPendingReceipts.
 */
export async function submitsWithPendingReceipts(
  db: Executor,
  submits: { id: string; channel: string; providerMessageId: string | null }[],
): Promise<Set<string>> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select s.id
        from jsonb_to_recordset(${JSON.stringify(submits)}::jsonb)
          as s(id text, channel text, "providerMessageId" text)
        where exists (
          select 1 from pending_receipts p
          where p.channel = s.channel and p.provider_message_id in (coalesce(s."providerMessageId", ''), 'ref:' || s.id)
        )`,
  );
  return new Set(rows.map((r) => r.id));
}

/** The status change and its event in one statement. An expired message still learns the truth. */
async function settle(db: Executor, receipt: DeliveryReceipt): Promise<boolean> {
  const match = receipt.messageId
    ? sql`id = ${receipt.messageId} and channel = ${receipt.channel}`
    : sql`channel = ${receipt.channel} and provider_message_id = ${receipt.providerMessageId ?? ""}`;
  const rows = await queryRows<{ message_id: string }>(
    db,
    sql`with u as (
          update sms_messages
          set status = ${receipt.status}, finished_at = now(),
              provider_message_id = coalesce(provider_message_id, ${receipt.providerMessageId ?? null})
          where ${match} and status in ('submitted', 'expired')
          returning id, status
        )
        insert into sms_events (message_id, status, detail)
        select id, status, ${receipt.detail ?? null} from u
        returning message_id`,
  );
  return rows.length > 0;
}

async function findMessage(
  db: Executor,
  receipt: DeliveryReceipt,
): Promise<{ id: string; status: string; providerMessageId: string | null } | undefined> {
  const match = receipt.messageId
    ? sql`id = ${receipt.messageId} and channel = ${receipt.channel}`
    : sql`channel = ${receipt.channel} and provider_message_id = ${receipt.providerMessageId ?? ""}`;
  const [row] = await queryRows<{ id: string; status: string; provider_message_id: string | null }>(
    db,
    sql`select id, status, provider_message_id from sms_messages where ${match} limit 1`,
  );
  return row ? { id: row.id, status: row.status, providerMessageId: row.provider_message_id } : undefined;
}

/**
 * Receipts still pending for messages whose submit has since been recorded: left by a process that
 * stopped between recording a submit and applying what was waiting for it. Run by the sweeper; returns how
 * many receipts it applied.
 */
export async function reconcilePendingReceipts(db: Executor, limit = 500): Promise<number> {
  const rows = await queryRows<{ channel: string; id: string; provider_message_id: string | null }>(
    db,
    sql`(select m.channel, m.id, m.provider_message_id
         from pending_receipts p
         join sms_messages m on m.channel = p.channel and m.provider_message_id = p.provider_message_id
         where m.status <> 'queued'
         limit ${limit})
        union
        (select m.channel, m.id, m.provider_message_id
         from pending_receipts p
         join sms_messages m on m.id = substr(p.provider_message_id, 5) and m.channel = p.channel
         where p.provider_message_id like 'ref:%' and m.status <> 'queued'
         limit ${limit})`,
  );
  let applied = 0;
  for (const r of rows) applied += await applyPendingReceipts(db, r.channel, r.id, r.provider_message_id);
  return applied;
}
