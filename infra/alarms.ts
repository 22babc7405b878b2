import { queues } from "./queues";
import { operatorEmail } from "./settings";

/**
 * Nothing fails silently: an SNS topic for the stage's operators (an e-mail subscription when
 * OPERATOR_EMAIL is set at deploy; subscribe a pager or chat relay by hand otherwise), and alarms on it:
 * - any message in a dead-letter queue (re-drive: `npm run cloud:redrive -- <queue>`, README);
 * - a queue whose oldest message is older than its topology's alarmAgeSeconds (consumers stopped or throttled).
 * Each alarm also reports when it clears.
 */
export const operators = new sst.aws.SnsTopic("Operators");

if (operatorEmail) {
  new aws.sns.TopicSubscription("OperatorsEmail", {
    topic: operators.arn,
    protocol: "email",
    endpoint: operatorEmail,
  });
}

const notify = { alarmActions: [operators.arn], okActions: [operators.arn] };

/** An alarm, to the operators, as soon as a queue that should stay empty holds a message. */
export function nonEmptyQueueAlarm(name: string, queueName: $util.Input<string>, description: string) {
  return new aws.cloudwatch.MetricAlarm(name, {
    alarmDescription: description,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    ...notify,
  });
}

export const alarms = Object.entries(queues).flatMap(([name, { spec, queue, dlq }]) => {
  const id = name
    .split("-")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
  return [
    nonEmptyQueueAlarm(
      `${id}DeadLetters`,
      dlq.nodes.queue.name,
      `Messages of ${name} were given up on: read them with npm run cloud:dead-letters -- ${name}, re-drive with npm run cloud:redrive -- ${name}`,
    ),
    new aws.cloudwatch.MetricAlarm(`${id}OldestMessage`, {
      alarmDescription: `${name}'s oldest message has waited over ${spec.alarmAgeSeconds} s: its consumer is failing, throttled or stopped`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queue.nodes.queue.name },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      threshold: spec.alarmAgeSeconds,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...notify,
    }),
  ];
});
