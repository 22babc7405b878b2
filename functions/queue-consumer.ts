import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
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

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleSqsEvent(deps, event, handle);
