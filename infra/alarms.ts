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

export const alarms = Object.entries(queues).flatMap(([name, { spec, queue, dlq }]) => {
  const id = name
    .split("-")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
  return [
    new aws.cloudwatch.MetricAlarm(`${id}DeadLetters`, {
      alarmDescription: `Messages of ${name} were given up on: read them with npm run cloud:dead-letters -- ${name}, re-drive with npm run cloud:redrive -- ${name}`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: dlq.nodes.queue.name },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...notify,
    }),
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
