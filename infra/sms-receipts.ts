import { CLOUD_FUNCTIONS } from "../src/topology";
import { nonEmptyQueueAlarm } from "./alarms";
import { appFunction } from "./functions";
import { migration } from "./migrations";
import { sms } from "./settings";
import type { SmsSettings } from "./sms-settings";

/**
 * Delivery receipts for SMS sent through SNS. SNS logs a delivery-status record per SMS to two log groups
 * (successes and failures) once the account's SMS preferences name a role it may log with; a subscription
 * hands each group's records to functions/sns-delivery-log.ts, which applies them as receipts, matched by
 * the MessageId Publish returned. Only stages that send through SNS set this up.
 *
 * SMS preferences are one setting per account and region: deploy one SNS-sending stage per account. SNS
 * creates the log groups itself on first delivery; declaring them here first lets the subscription exist
 * from the start (an account that already has them must import them: `sst import`/pulumi import).
 */
export const smsReceipts = sms.channel === "sns" ? setUp(sms) : undefined;

function setUp(settings: Extract<SmsSettings, { channel: "sns" }>) {
  const identity = aws.getCallerIdentityOutput();
  const region = aws.getRegionOutput();

  const role = new aws.iam.Role("SnsDeliveryStatusRole", {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "sns.amazonaws.com" }),
    inlinePolicies: [
      {
        name: "write-sms-delivery-status",
        policy: $jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:PutMetricFilter",
                "logs:PutRetentionPolicy",
              ],
              Resource: "*",
            },
          ],
        }),
      },
    ],
  });
  const preferences = new aws.sns.SmsPreferences("SmsPreferences", {
    deliveryStatusIamRoleArn: role.arn,
    // Every success is logged: a receipt per SMS is what lets an officer see that a warning arrived.
    deliveryStatusSuccessSamplingRate: "100",
    defaultSmsType: "Transactional",
    // SNS stops sending once the month's SMS cost reaches this (infra/sms-settings.ts requires one).
    monthlySpendLimit: settings.monthlySpendLimitUsd,
    ...(settings.senderId ? { defaultSenderId: settings.senderId } : {}),
  });

  // CloudWatch Logs invokes the receiver asynchronously: a batch it fails on after Lambda's two retries would
  // vanish, and with it the receipts of the SMS in it. It lands here instead, with an alarm on it.
  const failed = new sst.aws.Queue("SnsDeliveryLogFailures", {
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 60 * 60 } },
  });
  const receiver = new sst.aws.Function(
    "SnsDeliveryLog",
    appFunction({
      handler: "functions/sns-delivery-log.handler",
      timeoutSeconds: 60,
      reservedConcurrency: CLOUD_FUNCTIONS.smsDeliveryLog.reservedConcurrency,
      // The on-failure destination is written with the function's own role.
      permissions: [{ actions: ["sqs:SendMessage"], resources: [failed.arn] }],
    }),
    { dependsOn: [migration] },
  );

  new aws.lambda.FunctionEventInvokeConfig("SnsDeliveryLogOnFailure", {
    functionName: receiver.name,
    maximumRetryAttempts: 2,
    destinationConfig: { onFailure: { destination: failed.arn } },
  });
  nonEmptyQueueAlarm(
    "SnsDeliveryLogFailed",
    failed.nodes.queue.name,
    "SNS delivery-status records the receiver could not apply: their SMS keep no receipt until re-applied",
  );

  const prefix = $interpolate`sns/${region.region}/${identity.accountId}/DirectPublishToPhoneNumber`;
  const groups = [
    ["Success", prefix],
    ["Failure", $interpolate`${prefix}/Failure`],
  ] as const;
  return groups.map(([kind, name]) => {
    const group = new aws.cloudwatch.LogGroup(`SnsSms${kind}Logs`, { name, retentionInDays: 90 });
    const invoke = new aws.lambda.Permission(`SnsSms${kind}LogsInvoke`, {
      action: "lambda:InvokeFunction",
      function: receiver.name,
      principal: "logs.amazonaws.com",
      sourceArn: $interpolate`${group.arn}:*`,
    });
    return new aws.cloudwatch.LogSubscriptionFilter(
      `SnsSms${kind}LogsToReceipts`,
      { logGroup: group.name, filterPattern: "", destinationArn: receiver.arn },
      { dependsOn: [invoke, preferences] },
    );
  });
}
