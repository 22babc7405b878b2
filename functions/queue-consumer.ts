import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { buildCloudDeps } from "../src/cloud/deps";
import { snsChannel } from "../src/cloud/sns";
import { handleSqsEvent } from "../src/cloud/sqs-handler";
import { loadCloudConfig } from "../src/config";
import { messageHandler } from "../src/consumers";

/**
 * Subscribed to every queue in src/topology.ts (infra/queues.ts): the same message handler the local
 * workers run, reporting partial batch failures so only the messages that threw come back.
 */
const deps = await buildCloudDeps(await loadCloudConfig(), { sns: snsChannel });
const handle = messageHandler(deps);

/**
 * Handlers that wait on purpose (the paced release of deferred reminders) are told to stop this long before
 * the function's timeout, so they end cleanly and leave the rest to the next delivery instead of being cut off.
 */
const STOP_BEFORE_TIMEOUT_MS = 10_000;

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  handleSqsEvent(
    deps,
    event,
    handle,
    AbortSignal.timeout(Math.max(1, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS)),
  );
