import type { CloudWatchLogsEvent } from "aws-lambda";
import { buildCloudDeps } from "../src/cloud/deps";
import { handleSnsDeliveryLogs } from "../src/cloud/sns-delivery-logs";
import { loadCloudConfig } from "../src/config";

/** Subscribed to SNS's SMS delivery-status log groups (infra/sms-receipts.ts): receipts for SNS messages. */
const deps = await buildCloudDeps(await loadCloudConfig());

export const handler = async (event: CloudWatchLogsEvent): Promise<void> => {
  await handleSnsDeliveryLogs(deps, event);
};
