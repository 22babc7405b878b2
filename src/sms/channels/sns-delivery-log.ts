import { gunzipSync } from "node:zlib";
import * as z from "zod/mini";
import type { Executor } from "../../db/client";
import "../../zod-mini";
import { applyReceipt, type DeliveryReceipt, type ReceiptOutcome } from "../receipts/receipts";

/**
 * SNS writes one JSON record per SMS to CloudWatch Logs (`sns/<region>/<account>/DirectPublishToPhoneNumber`
 * and `.../Failure`) once the carrier answers:
 *   { "notification": { "messageId": "…", "timestamp": "…" },
 *     "delivery": { "destination": "+86…", "providerResponse": "Message has been accepted by phone carrier", … },
 *     "status": "SUCCESS" | "FAILURE" }
 * `notification.messageId` is the MessageId Publish returned, which the engine stored as the provider message
 * id (src/sms/dispatch/submits.ts). The destination is a full phone number: it is never kept or logged.
 */
const SnsDeliveryRecord = z.object({
  notification: z.object({ messageId: z.string().check(z.minLength(1)) }),
  delivery: z.optional(z.object({ providerResponse: z.optional(z.string()) })),
  status: z.enum(["SUCCESS", "FAILURE"]),
});

export function parseSnsDeliveryRecord(record: unknown): DeliveryReceipt | undefined {
  let value = record;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const parsed = SnsDeliveryRecord.safeParse(value);
  if (!parsed.success) return undefined;
  const { notification, delivery, status } = parsed.data;
  return {
    channel: "sns",
    providerMessageId: notification.messageId,
    status: status === "SUCCESS" ? "delivered" : "failed",
    detail: delivery?.providerResponse?.slice(0, 500),
  };
}

/** The `awslogs.data` of a CloudWatch Logs subscription: base64 of gzipped JSON with `logEvents`. */
export function decodeLogsSubscriptionData(data: string): { message: string }[] {
  const json = JSON.parse(gunzipSync(Buffer.from(data, "base64")).toString("utf8")) as {
    messageType?: string;
    logEvents?: { message?: unknown }[];
  };
  // CloudWatch sends a CONTROL_MESSAGE when the subscription is created; it has no SMS in it.
  if (json.messageType === "CONTROL_MESSAGE") return [];
  return (json.logEvents ?? []).flatMap((e) =>
    typeof e.message === "string" ? [{ message: e.message }] : [],
  );
}

/** Applies SNS delivery-status records through the same applyReceipt as partner webhooks. */
export async function applySnsDeliveryRecords(
  db: Executor,
  records: readonly unknown[],
): Promise<Record<ReceiptOutcome | "unreadable", number>> {
  const counts = { applied: 0, duplicate: 0, pending: 0, unmatched: 0, unreadable: 0 };
  for (const record of records) {
    const receipt = parseSnsDeliveryRecord(record);
    if (!receipt) counts.unreadable++;
    else counts[await applyReceipt(db, receipt)]++;
  }
  return counts;
}
