import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { InvocationTimeout, type LambdaFunction } from "./lambda-host";

export const REGION = "ap-southeast-1";
const ACCOUNT = "000000000000";

/**
 * Lambda's SQS event source mapping, played against a real SQS-compatible server: receive a batch (which
 * hides it for the visibility timeout), invoke the function, then delete what it did not report as failed.
 * A function that throws or times out deletes nothing: its whole batch comes back when the visibility
 * timeout runs out, as SQS gives it back to Lambda.
 */
export async function pollOnce(
  sqs: SQSClient,
  queue: { name: string; url: string },
  fn: LambdaFunction,
  options: { batchSize?: number; visibilitySeconds?: number; keep?: boolean } = {},
): Promise<{
  delivered: SQSRecord[];
  outcome: "done" | "failed" | "timed out";
  response?: SQSBatchResponse;
}> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
      VisibilityTimeout: options.visibilitySeconds ?? 30,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
      WaitTimeSeconds: 0,
    }),
  );
  const delivered = (received.Messages ?? []).map((m) => toRecord(m, queue.name));
  if (delivered.length === 0) return { delivered, outcome: "done" };
  let response: SQSBatchResponse;
  try {
    response = await fn.invoke<SQSBatchResponse>({ Records: delivered } satisfies SQSEvent);
  } catch (error) {
    return { delivered, outcome: error instanceof InvocationTimeout ? "timed out" : "failed" };
  }
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = delivered.filter((r) => !failed.has(r.messageId));
  // keep: the function succeeded but the delete is lost, so SQS redelivers the batch.
  if (done.length > 0 && !options.keep) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { delivered, outcome: "done", response };
}

/** Polls every queue until a full round finds nothing: the pipeline has settled. */
export async function drain(
  sqs: SQSClient,
  queues: { name: string; url: string }[],
  fn: LambdaFunction,
  maxRounds = 20,
): Promise<SQSRecord[]> {
  const all: SQSRecord[] = [];
  for (let round = 0; round < maxRounds; round++) {
    let any = false;
    for (const queue of queues) {
      const { delivered, outcome } = await pollOnce(sqs, queue, fn);
      if (outcome !== "done") throw new Error(`${queue.name}: the consumer ${outcome}`);
      all.push(...delivered);
      any ||= delivered.length > 0;
    }
    if (!any) return all;
  }
  throw new Error(`queues still busy after ${maxRounds} rounds`);
}

function toRecord(message: Message, queueName: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "AROAEXAMPLE",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          dataType: value.DataType ?? "String",
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`,
    awsRegion: REGION,
  };
}
