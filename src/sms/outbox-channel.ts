import { eq, sql } from "drizzle-orm";
import { devOutbox } from "../../schema";
import type { Db } from "../db/client";
import { newId } from "../ids";
import { maskPhone } from "../privacy/phone";
import type { SmsChannel, SmsSendRequest, SmsSendResult } from "./channel";

export interface SimulatedReceipt {
  providerMessageId: string;
  status: "delivered" | "failed";
}

export interface OutboxOptions {
  /** Simulate a delivery receipt after this many ms; negative: never. */
  receiptDelayMs: number;
  failureRate: number;
  onReceipt: (receipt: SimulatedReceipt) => Promise<void>;
}

/**
 * The development channel: records what a phone would have received instead of sending it. Keyed by our
 * message id, so a re-send after a crash records nothing new — the same guarantee we ask of real providers
 * through their client-reference field.
 */
export class OutboxChannel implements SmsChannel {
  readonly name = "outbox";

  constructor(
    private readonly db: Db,
    private readonly options: OutboxOptions,
  ) {}

  async send(request: SmsSendRequest): Promise<SmsSendResult> {
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
      .returning({ id: devOutbox.id });
    const providerMessageId = (row as { id: string }).id;
    this.simulateReceipt(providerMessageId);
    return { providerMessageId };
  }

  private simulateReceipt(providerMessageId: string): void {
    const { receiptDelayMs, failureRate, onReceipt } = this.options;
    if (receiptDelayMs < 0) return;
    const status = Math.random() < failureRate ? "failed" : "delivered";
    setTimeout(() => {
      void this.db
        .update(devOutbox)
        .set({ status })
        .where(eq(devOutbox.id, providerMessageId))
        .then(() => onReceipt({ providerMessageId, status }))
        .catch(() => {
          // The process may be shutting down; a lost simulated receipt is what a real network does too.
        });
    }, receiptDelayMs).unref();
  }
}
