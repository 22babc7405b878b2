import { inArray, sql } from "drizzle-orm";
import { partners, type SmsPurpose } from "../../../schema";
import { queryRows, type Tx } from "../../db/client";
import { jsonRows } from "../../db/json-rows";
import type { Deps } from "../../deps";
import { newId } from "../../ids";
import { maskPhone } from "../../privacy/phone";
import type { Publish } from "../../queue/outbox";
import { partnerChannelName } from "../channels/channel";
import { countSegments } from "./segments";
import { TEST_CHANNEL } from "./test-mode";

export interface SmsToQueue {
  purpose: SmsPurpose;
  /** urgent: victim warnings and officer notices; bulk: reminders. Separate queues, so bulk never delays urgent. */
  lane: "urgent" | "bulk";
  /** The partner a reminder is sent for: its rate limit and quota apply. */
  partnerId?: string;
  /** Hold until this time (quiet hours); the send job is delayed to match. */
  notBefore?: Date;
  /** E.164. */
  to: string;
  body: string;
  alertId?: string;
  /** What makes this SMS unique: the same key is never sent twice. */
  dedupeKey: string;
  /** Made with a partner's test-mode key: never sent (test-mode.ts). */
  test?: boolean;
  /** Carried by this SMS's send job, when it differs from the call's (a batch of pushes). */
  traceId?: string;
}

/**
 * Creates queued SMS in the caller's transaction and publishes their send jobs. A message whose key
 * already exists is skipped, which is what makes a redelivered push harmless.
 * Returns the ids of the messages created now.
 */
export async function queueSms(
  deps: Pick<Deps, "pii" | "sms">,
  tx: Tx,
  publish: Publish,
  items: SmsToQueue[],
  traceId?: string,
): Promise<string[]> {
  return (await queueEachSms(deps, tx, publish, items, traceId)).filter((id) => id !== undefined);
}

/** queueSms, answering for each item in its order: the id created now, or undefined where the key existed. */
export async function queueEachSms(
  deps: Pick<Deps, "pii" | "sms">,
  tx: Tx,
  publish: Publish,
  items: SmsToQueue[],
  traceId?: string,
): Promise<(string | undefined)[]> {
  if (items.length === 0) return [];
  const channels = await partnerChannels(tx, deps.sms.name, items);
  const traceIds = new Map<string, string | undefined>();
  const rows = items.map((item) => {
    const recipientHash = deps.pii.hash(item.to);
    const id = newId("message");
    traceIds.set(id, item.traceId ?? traceId);
    return {
      id,
      idempotency_key: `${item.purpose}:${item.dedupeKey}:${recipientHash}`,
      lane: item.lane,
      purpose: item.purpose,
      alert_id: item.alertId ?? null,
      recipient_enc: deps.pii.encrypt(item.to),
      recipient_hash: recipientHash,
      recipient_masked: maskPhone(item.to),
      body: item.body,
      segments: countSegments(item.body),
      channel: item.test ? TEST_CHANNEL : (item.partnerId && channels.get(item.partnerId)) || deps.sms.name,
      partner_id: item.partnerId ?? null,
      test: item.test ?? false,
      not_before: item.notBefore?.toISOString() ?? null,
    };
  });
  // The messages and their first event in one statement, the rows as one JSON parameter (jsonRows).
  const created = await queryRows<{
    id: string;
    key: string;
    lane: "urgent" | "bulk";
    not_before: string | null;
  }>(
    tx,
    sql`with m as (
            insert into sms_messages (id, idempotency_key, lane, purpose, alert_id, recipient_enc, recipient_hash,
                                      recipient_masked, body, segments, channel, partner_id, test, not_before)
            select id, idempotency_key, lane, purpose, alert_id, recipient_enc, recipient_hash, recipient_masked,
                   body, segments, channel, partner_id, test, not_before
            from ${jsonRows(
              rows,
              sql`id text, idempotency_key text, lane text, purpose text, alert_id text, recipient_enc text,
                  recipient_hash text, recipient_masked text, body text, segments int, channel text,
                  partner_id text, test boolean, not_before timestamptz`,
            )}
            on conflict (idempotency_key) do nothing
            returning id, idempotency_key, lane, not_before
          ),
          e as (insert into sms_events (message_id, status) select id, 'queued' from m)
          select id, idempotency_key as key, lane, not_before from m`,
  );
  if (created.length === 0) return rows.map(() => undefined);
  const now = Date.now();
  publish(
    ...created.map((c) => ({
      queue: c.lane === "urgent" ? ("sms-urgent" as const) : ("sms-bulk" as const),
      message: { type: "sms.send" as const, v: 1 as const, messageId: c.id, traceId: traceIds.get(c.id) },
      delaySeconds: c.not_before
        ? Math.max(0, Math.ceil((new Date(c.not_before).getTime() - now) / 1000))
        : undefined,
    })),
  );
  // A key given twice in one call is created once, and answers for its first item only.
  const createdByKey = new Map(created.map((c) => [c.key, c.id]));
  return rows.map((r) => {
    const id = createdByKey.get(r.idempotency_key);
    createdByKey.delete(r.idempotency_key);
    return id;
  });
}

/**
 * A reminder for a partner with its own SMS API goes out on that API (`partner:<id>`); everything else on
 * the configured channel. Decided when the message is created, so its receipts match the same channel.
 */
async function partnerChannels(tx: Tx, fallback: string, items: SmsToQueue[]): Promise<Map<string, string>> {
  const ids = [...new Set(items.flatMap((i) => (i.partnerId ? [i.partnerId] : [])))];
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: partners.id, channel: partners.channel })
    .from(partners)
    .where(inArray(partners.id, ids));
  return new Map(rows.map((r) => [r.id, r.channel === "partner_http" ? partnerChannelName(r.id) : fallback]));
}
