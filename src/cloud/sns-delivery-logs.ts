import type { CloudWatchLogsEvent } from "aws-lambda";
import type { Deps } from "../deps";
import { applySnsDeliveryRecords, decodeLogsSubscriptionData } from "../sms/channels/sns-delivery-log";

/**
 * The Lambda side of SNS delivery receipts: SNS writes a delivery-status record per SMS to CloudWatch
 * Logs, a subscription (infra/sms-receipts.ts) hands batches of them here, and they are applied like every
 * other channel's receipts. The records hold full phone numbers, so only the counts are logged. A database
 * failure throws, and Lambda retries the asynchronous invocation.
 */
export async function handleSnsDeliveryLogs(deps: Pick<Deps, "db" | "log">, event: CloudWatchLogsEvent) {
  const records = decodeLogsSubscriptionData(event.awslogs.data).map((e) => e.message);
  const counts = await applySnsDeliveryRecords(deps.db, records);
  if (counts.unreadable > 0 || counts.unmatched > 0)
    deps.log.warn(counts, "sns delivery records not applied");
  else deps.log.info(counts, "sns delivery records applied");
  return counts;
}
