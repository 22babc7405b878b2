import { randomUUID } from "node:crypto";
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";

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
