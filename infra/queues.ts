import { QUEUES, type QueueName, type QueueSpec } from "../src/topology";
import { pascal } from "./settings";

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

export interface DeployedQueue {
  spec: QueueSpec;
  queue: sst.aws.Queue;
  dlq: sst.aws.Queue;
}

/**
 * One SQS queue per queue in the topology, each with its dead-letter queue. A message is dead-lettered
 * after `maxReceives` deliveries, as the table queue moves it to dead_jobs locally. A consumer may still
 * be working on a message until its timeout, so the visibility timeout is six times that (AWS's advice
 * for Lambda consumers), and a slow batch is not handed to a second consumer.
 */
export const queues = Object.fromEntries(
  (Object.entries(QUEUES) as [QueueName, QueueSpec][]).map(([name, spec]) => {
    const id = pascal(name);
    const dlq = new sst.aws.Queue(`${id}Dlq`, {
      transform: { queue: { messageRetentionSeconds: FOURTEEN_DAYS } },
    });
    const queue = new sst.aws.Queue(`${id}Queue`, {
      visibilityTimeout: `${spec.timeoutSeconds * 6} seconds`,
      dlq: { queue: dlq.arn, retry: spec.maxReceives },
    });
    return [name, { spec, queue, dlq }];
  }),
) as Record<QueueName, DeployedQueue>;

/** QUEUE_URLS for src/config.ts: the URL of every queue, keyed by its topology name. */
export const queueUrls = $jsonStringify(
  Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, q.queue.url])),
);

export const queueArns = Object.values(queues).map((q) => q.queue.arn);
