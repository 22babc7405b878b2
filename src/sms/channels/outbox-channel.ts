import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { devOutbox } from "../../../schema";
import { type Db, queryRows } from "../../db/client";
import { Coalescer } from "../../db/coalesce";
import { jsonRows } from "../../db/json-rows";
import { newId } from "../../ids";
import { maskPhone } from "../../privacy/phone";
import { type SmsChannel, SmsSendError, type SmsSendRequest, type SmsSendResult } from "./channel";

const RECEIPT_RETRIES = 3;
const RECEIPT_RETRY_MS = 500;

export interface SimulatedReceipt {
  providerMessageId: string;
  status: "delivered" | "failed";
}

export interface OutboxOptions {
  /** Simulate a delivery receipt after this many ms; negative: never. */
  receiptDelayMs: number;
  /** Share of simulated receipts that report a failed delivery. */
  failureRate: number;
  onReceipt: (receipt: SimulatedReceipt) => Promise<void>;
  /** Answer after this long, as a provider's API would. */
  sendDelayMs?: number;
  /** Share of sends refused with a transient error (a provider's 503); nothing is recorded. */
  sendFailureRate?: number;
  /** Share of sends recorded and then answered with a timeout: the engine cannot know it went out. */
  lostAnswerRate?: number;
  random?: () => number;
}

/**
 * The development channel: records what a phone would have received instead of sending it. Keyed by our
 * message id, so a re-send after a crash or a lost answer records nothing new — the same guarantee we ask
 * of real providers through their client-reference field (`dedupesByMessageId`).
 */
export class OutboxChannel implements SmsChannel {
  readonly name = "outbox";
  readonly dedupesByMessageId = true;
  private readonly random: () => number;
  private readonly recorders = new Map<string, Coalescer<OutboxRow, string>>();

  constructor(
    private readonly db: Db,
    private readonly options: OutboxOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  async send(request: SmsSendRequest): Promise<SmsSendResult> {
    if (this.options.sendDelayMs) await sleep(this.options.sendDelayMs);
    if (this.random() < (this.options.sendFailureRate ?? 0)) {
      throw new SmsSendError("outbox: simulated 503 Service Unavailable", true);
    }
    const providerMessageId = await this.recorder(request.purpose).add({
      id: newId("outbox"),
      message_id: request.messageId,
      to_masked: maskPhone(request.to),
      purpose: request.purpose,
      alert_id: request.alertId ?? null,
      body: request.body,
      segments: request.segments,
    });
    if (this.random() < (this.options.lostAnswerRate ?? 0)) {
      throw new SmsSendError("outbox: simulated timeout after the SMS was recorded", true, {
        unknownOutcome: true,
      });
    }
    this.simulateReceipt(providerMessageId);
    return { providerMessageId };
  }

  /**
   * Sends coming back while another is being recorded go together in one statement (Coalescer), as the
   * engine's own submit records do; one recorder per purpose, so a warning's record never waits behind a
   * hundred reminders'.
   */
  private recorder(purpose: string): Coalescer<OutboxRow, string> {
    let recorder = this.recorders.get(purpose);
    if (!recorder) {
      recorder = new Coalescer((rows) => recordSends(this.db, rows));
      this.recorders.set(purpose, recorder);
    }
    return recorder;
  }

  async lookup(messageId: string): Promise<SmsSendResult | null> {
    const [row] = await this.db
      .select({ id: devOutbox.id })
      .from(devOutbox)
      .where(eq(devOutbox.messageId, messageId));
    return row ? { providerMessageId: row.id } : null;
  }

  /**
   * The simulated phone answers after `receiptDelayMs`; like a provider's webhook, a receipt whose write fails
   * (a lock timeout under load, say) is tried again a few times before it is given up.
   */
  private simulateReceipt(providerMessageId: string): void {
    const { receiptDelayMs, failureRate, onReceipt } = this.options;
    if (receiptDelayMs < 0) return;
    const status = this.random() < failureRate ? "failed" : "delivered";
    const attempt = (left: number) => {
      void this.db
        .update(devOutbox)
        .set({ status })
        .where(eq(devOutbox.id, providerMessageId))
        .then(() => onReceipt({ providerMessageId, status }))
        .catch(() => {
          // After the last try (or when the process is shutting down) it is lost, as on a real network.
          if (left > 0) setTimeout(() => attempt(left - 1), RECEIPT_RETRY_MS).unref();
        });
    };
    setTimeout(() => attempt(RECEIPT_RETRIES), receiptDelayMs).unref();
  }
}

type OutboxRow = {
  id: string;
  message_id: string;
  to_masked: string;
  purpose: string;
  alert_id: string | null;
  body: string;
  segments: number;
};

/**
 * Records sends, each under our message id: a message recorded before (a re-send) keeps its first row and
 * answers with that row's id. Returns the outbox id of each row given, in order.
 */
async function recordSends(db: Db, rows: OutboxRow[]): Promise<string[]> {
  // One row per message: ON CONFLICT DO UPDATE may not touch a row twice in one statement.
  const unique = [...new Map(rows.map((r) => [r.message_id, r])).values()];
  const recorded = await queryRows<{ id: string; message_id: string }>(
    db,
    sql`insert into dev_outbox (id, message_id, to_masked, purpose, alert_id, body, segments)
        select id, message_id, to_masked, purpose, alert_id, body, segments
        from ${jsonRows(
          unique,
          sql`id text, message_id text, to_masked text, purpose text, alert_id text, body text, segments int`,
        )}
        on conflict (message_id) do update set message_id = excluded.message_id
        returning id, message_id`,
  );
  const byMessage = new Map(recorded.map((r) => [r.message_id, r.id]));
  return rows.map((r) => byMessage.get(r.message_id) as string);
}
