import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { devOutbox } from "../../../schema";
import type { Db } from "../../db/client";
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
    const [row] = await this.db
      .insert(devOutbox)
      .values({
        id: newId("outbox"),
        messageId: request.messageId,
        toMasked: maskPhone(request.to),
        purpose: request.purpose,
        alertId: request.alertId ?? null,
        body: request.body,
        segments: request.segments,
      })
      .onConflictDoUpdate({ target: devOutbox.messageId, set: { messageId: sql`excluded.message_id` } })
      .returning({ id: devOutbox.id, createdAt: devOutbox.createdAt });
    const providerMessageId = (row as { id: string }).id;
    if (this.random() < (this.options.lostAnswerRate ?? 0)) {
      throw new SmsSendError("outbox: simulated timeout after the SMS was recorded", true, {
        unknownOutcome: true,
      });
    }
    this.simulateReceipt(providerMessageId);
    return { providerMessageId };
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
