import { appFunction } from "./functions";
import { migration } from "./migrations";
import { queues } from "./queues";
import { pascal } from "./settings";

/**
 * A Lambda per queue, all running functions/queue-consumer.ts (the one message handler the local workers
 * run), with the queue's batch size and timeout from the topology. Partial batch responses make SQS
 * redeliver only the messages that threw. Only a queue that carries sms.send gets to publish SMS.
 */
export const consumers = Object.entries(queues).map(([name, { spec, queue }]) => {
  const consumer = new sst.aws.Function(
    `${pascal(name)}Consumer`,
    appFunction({
      handler: "functions/queue-consumer.handler",
      timeoutSeconds: spec.timeoutSeconds,
      sendsSms: spec.carries.includes("sms.send"),
      permissions: [
        {
          actions: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
          ],
          resources: [queue.arn],
        },
      ],
    }),
    { dependsOn: [migration] },
  );
  queue.subscribe(consumer.arn, {
    batch: {
      size: spec.batchSize,
      // SQS insists on a batching window once a batch may hold more than ten messages; one second is the
      // least it takes, and an alert push must not wait longer than that for company.
      window: spec.batchSize > 10 ? "1 second" : "0 seconds",
      partialResponses: true,
    },
    // The ceiling on instances, and so on database connections (src/topology.ts, checked in infra/budget.ts).
    transform: { eventSourceMapping: { scalingConfig: { maximumConcurrency: spec.maxConcurrency } } },
  });
  return consumer;
});
