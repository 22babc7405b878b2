import { and, eq, sql } from "drizzle-orm";
import { smsEvents, smsMessages } from "../../schema";
import type { Db } from "../db/client";

export interface DeliveryReceipt {
  channel: string;
  providerMessageId: string;
  status: "delivered" | "failed";
  detail?: string;
}

/** Applies a provider's delivery receipt to the message it names. A repeated receipt changes nothing. */
export async function applyReceipt(db: Db, receipt: DeliveryReceipt): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(smsMessages)
      .set({ status: receipt.status, finishedAt: sql`now()` })
      .where(
        and(
          eq(smsMessages.channel, receipt.channel),
          eq(smsMessages.providerMessageId, receipt.providerMessageId),
          eq(smsMessages.status, "submitted"),
        ),
      )
      .returning({ id: smsMessages.id });
    if (!updated) return false;
    await tx
      .insert(smsEvents)
      .values({ messageId: updated.id, status: receipt.status, detail: receipt.detail });
    return true;
  });
}
