import { createHash } from "node:crypto";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  deadLetterCount,
  moveStatus,
  peekDeadLetters,
  redriveDeadLetters,
} from "../../src/cloud/dead-letters";
import { TEST_REGION } from "../support/aws-events";
import { sdkSqsClient, useFakeAws } from "../support/fake-aws";

const server = useFakeAws();
const DLQ_URL = `https://sqs.${TEST_REGION}.amazonaws.com/123456789012/af-test-sms-urgent-dlq`;
const DLQ_ARN = `arn:aws:sqs:${TEST_REGION}:123456789012:af-test-sms-urgent-dlq`;

/** The SDK checks each body against its MD5, as SQS sends it. */
const withMd5 = (body: string) => ({ Body: body, MD5OfBody: createHash("md5").update(body).digest("hex") });

/** SQS's JSON protocol for the calls the dead-letter tool makes; records each target and body. */
function fakeDeadLetterQueue() {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const answers: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    "AmazonSQS.GetQueueAttributes": () => ({
      Attributes: { ApproximateNumberOfMessages: "2", QueueArn: DLQ_ARN },
    }),
    "AmazonSQS.ReceiveMessage": () => ({
      Messages: [
        {
          MessageId: "m-1",
          ReceiptHandle: "r-1",
          ...withMd5(JSON.stringify({ type: "sms.send", v: 1, messageId: "msg_1" })),
          Attributes: { ApproximateReceiveCount: "10", SentTimestamp: "1764748800000" },
        },
        {
          MessageId: "m-2",
          ReceiptHandle: "r-2",
          ...withMd5("not json"),
          Attributes: { ApproximateReceiveCount: "3" },
        },
      ],
    }),
    "AmazonSQS.StartMessageMoveTask": () => ({ TaskHandle: "task-1" }),
    "AmazonSQS.ListMessageMoveTasks": () => ({
      Results: [
        { Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 2, StartedTimestamp: 1764748900000 },
      ],
    }),
  };
  const handler = http.post(`https://sqs.${TEST_REGION}.amazonaws.com/`, async ({ request }) => {
    const target = request.headers.get("x-amz-target") ?? "";
    const body = (await request.json()) as Record<string, unknown>;
    calls.push({ target, body });
    const answer = answers[target];
    return answer
      ? HttpResponse.json(answer(body), { headers: { "content-type": "application/x-amz-json-1.0" } })
      : HttpResponse.json({ __type: "UnsupportedOperation" }, { status: 400 });
  });
  return { calls, handler };
}

describe("cloud dead letters", () => {
  it("counts them and shows them as published without taking them off the queue", async () => {
    const sqs = fakeDeadLetterQueue();
    server.use(sqs.handler);

    expect(await deadLetterCount(sdkSqsClient(), DLQ_URL)).toBe(2);
    const letters = await peekDeadLetters(sdkSqsClient(), DLQ_URL);

    expect(letters).toEqual([
      {
        messageId: "m-1",
        body: { type: "sms.send", v: 1, messageId: "msg_1" },
        receiveCount: 10,
        sentAt: new Date(1764748800000),
      },
      { messageId: "m-2", body: undefined, receiveCount: 3, sentAt: null },
    ]);
    const receive = sqs.calls.find((c) => c.target === "AmazonSQS.ReceiveMessage");
    // Visible again at once: looking never hides a letter from the re-drive.
    expect(receive?.body).toMatchObject({ QueueUrl: DLQ_URL, VisibilityTimeout: 0 });
    expect(sqs.calls.map((c) => c.target)).not.toContain("AmazonSQS.DeleteMessage");
  });

  it("moves them back to their queue with SQS's move task, paced, and reports how it went", async () => {
    const sqs = fakeDeadLetterQueue();
    server.use(sqs.handler);

    expect(await redriveDeadLetters(sdkSqsClient(), DLQ_URL, 20)).toBe("task-1");
    const start = sqs.calls.find((c) => c.target === "AmazonSQS.StartMessageMoveTask");
    // No destination: SQS sends each message back to the queue it was dead-lettered from.
    expect(start?.body).toEqual({ SourceArn: DLQ_ARN, MaxNumberOfMessagesPerSecond: 20 });

    expect(await moveStatus(sdkSqsClient(), DLQ_URL)).toEqual([
      {
        status: "COMPLETED",
        moved: 2,
        toMove: null,
        failureReason: null,
        startedAt: new Date(1764748900000),
      },
    ]);
  });
});
