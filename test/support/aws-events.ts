import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { CloudWatchLogsEvent, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";

export const TEST_REGION = "ap-east-1";
const ACCOUNT = "123456789012";

export const queueArn = (name: string) => `arn:aws:sqs:${TEST_REGION}:${ACCOUNT}:${name}`;

/**
 * One SQS record as Lambda delivers it. `body` is JSON-encoded unless it is already a string, so a test
 * can also hand over text that is not JSON. Redeliveries keep `messageId` and raise `receiveCount`.
 */
export function sqsRecord(
  body: unknown,
  options: {
    messageId?: string;
    receiveCount?: number;
    queue?: string;
    messageAttributes?: SQSMessageAttributes;
  } = {},
): SQSRecord {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const now = String(Date.now());
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: `AQEB${randomUUID().replaceAll("-", "")}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: now,
      SenderId: "AROAEXAMPLE:antifraud-alerts",
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: options.messageAttributes ?? {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn(options.queue ?? "antifraud-alerts-test-AlertPushQueue"),
    awsRegion: TEST_REGION,
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** The same record delivered again, as SQS does after a visibility timeout. */
export function redelivered(record: SQSRecord): SQSRecord {
  const count = Number(record.attributes.ApproximateReceiveCount) + 1;
  return { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } };
}

/** A CloudWatch Logs subscription delivery: `awslogs.data` is base64 of gzipped JSON, as Lambda gets it. */
export function cloudWatchLogsEvent(
  messages: string[],
  options: { logGroup?: string; messageType?: "DATA_MESSAGE" | "CONTROL_MESSAGE" } = {},
): CloudWatchLogsEvent {
  const payload = {
    messageType: options.messageType ?? "DATA_MESSAGE",
    owner: ACCOUNT,
    logGroup: options.logGroup ?? `sns/${TEST_REGION}/${ACCOUNT}/DirectPublishToPhoneNumber`,
    logStream: randomUUID(),
    subscriptionFilters: ["sns-sms-delivery"],
    logEvents: messages.map((message, i) => ({ id: String(i), timestamp: Date.now(), message })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") } };
}

/** One SNS SMS delivery-status record as SNS writes it to CloudWatch Logs. */
export function snsDeliveryRecord(messageId: string, to: string, status: "SUCCESS" | "FAILURE"): string {
  return JSON.stringify({
    notification: { messageId, timestamp: new Date().toISOString().replace("T", " ").slice(0, 23) },
    delivery: {
      phoneCarrier: "China Mobile",
      mnc: 0,
      numberOfMessageParts: 1,
      destination: to,
      priceInUSD: 0.02,
      smsType: "Transactional",
      mcc: 460,
      providerResponse: status === "SUCCESS" ? "Message has been accepted by phone carrier" : "Unknown error",
      dwellTimeMs: 300,
      dwellTimeMsUntilDeviceAck: 2000,
    },
    status,
  });
}
