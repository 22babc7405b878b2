import { createHash, randomUUID } from "node:crypto";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, vi } from "vitest";
import { SqsJsonClient } from "../../src/queue/sqs-client";
import { QUEUE_NAMES, type QueueName } from "../../src/topology";
import { TEST_REGION } from "./aws-events";

/**
 * SQS and SNS as msw handlers at the AWS SDK's HTTP layer: the real SDK signs and serialises real
 * requests (SQS: JSON protocol, SNS: query protocol) and parses real-shaped responses, and the tests
 * read what went over the wire.
 */
export const TEST_QUEUE_URLS = Object.fromEntries(
  QUEUE_NAMES.map((name) => [name, `https://sqs.${TEST_REGION}.amazonaws.com/123456789012/af-test-${name}`]),
) as Record<QueueName, string>;

export const queueNameOfUrl = (url: string) =>
  (Object.entries(TEST_QUEUE_URLS).find(([, u]) => u === url)?.[0] ?? "unknown") as QueueName;

/** An msw server for the file, refusing any request no handler expects, and fake credentials in env. */
export function useFakeAws() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  beforeEach(() => {
    vi.stubEnv("AWS_REGION", TEST_REGION);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  });
  afterEach(() => {
    server.resetHandlers();
    vi.unstubAllEnvs();
  });
  afterAll(() => server.close());
  return server;
}

/** Clients as the Lambdas build them, with region and credentials from the environment. */
export const sqsClient = () => SqsJsonClient.fromEnvironment();
/** The SDK's SQS client, as the operators' dead-letter tools build it. */
export const sdkSqsClient = () => new SQSClient({});
export const snsClient = (options: { maxAttempts?: number } = {}) => new SNSClient(options);

export interface SqsEntry {
  Id: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

export interface SqsBatchCall {
  target: string | null;
  contentType: string | null;
  queueUrl: string;
  entries: SqsEntry[];
}

type EntryFailure = { Code: string; SenderFault: boolean } | undefined;

export function fakeSqs(options: { fail?: (entry: SqsEntry, call: number) => EntryFailure } = {}) {
  const calls: SqsBatchCall[] = [];
  const accepted: { queue: QueueName; entry: SqsEntry }[] = [];
  const json = { "content-type": "application/x-amz-json-1.0" };
  const handler = http.post(`https://sqs.${TEST_REGION}.amazonaws.com/`, async ({ request }) => {
    const target = request.headers.get("x-amz-target");
    const body = (await request.json()) as { QueueUrl: string; Entries: SqsEntry[] };
    // What was sent and never received (this fake has no receive) is waiting.
    if (target === "AmazonSQS.GetQueueAttributes") {
      const waiting = accepted.filter((a) => a.queue === queueNameOfUrl(body.QueueUrl)).length;
      return HttpResponse.json(
        { Attributes: { ApproximateNumberOfMessages: String(waiting) } },
        { headers: json },
      );
    }
    if (target !== "AmazonSQS.SendMessageBatch") {
      return HttpResponse.json(
        { __type: "com.amazonaws.sqs#UnsupportedOperation", message: `fake SQS does not do ${target}` },
        { status: 400, headers: json },
      );
    }
    const call = calls.length;
    calls.push({
      target,
      contentType: request.headers.get("content-type"),
      queueUrl: body.QueueUrl,
      entries: body.Entries,
    });
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of body.Entries) {
      const failure = options.fail?.(entry, call);
      if (failure) {
        Failed.push({ Id: entry.Id, ...failure, Message: `fake ${failure.Code}` });
        continue;
      }
      accepted.push({ queue: queueNameOfUrl(body.QueueUrl), entry });
      Successful.push({
        Id: entry.Id,
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash("md5").update(entry.MessageBody).digest("hex"),
      });
    }
    return HttpResponse.json({ Successful, Failed }, { headers: json });
  });
  return {
    handler,
    calls,
    accepted,
    /** Bodies SQS accepted for one queue, parsed. */
    bodies: (queue: QueueName) =>
      accepted.filter((a) => a.queue === queue).map((a) => JSON.parse(a.entry.MessageBody)),
  };
}

export interface SnsPublish {
  action: string | null;
  phoneNumber: string | null;
  message: string | null;
  attributes: Record<string, { dataType: string | null; value: string | null }>;
}

export function fakeSns(options: { respond?: (publish: SnsPublish) => Response | undefined } = {}) {
  const publishes: SnsPublish[] = [];
  const messageIds: string[] = [];
  const handler = http.post(`https://sns.${TEST_REGION}.amazonaws.com/`, async ({ request }) => {
    const form = new URLSearchParams(await request.text());
    const attributes: SnsPublish["attributes"] = {};
    for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
      attributes[form.get(`MessageAttributes.entry.${n}.Name`) as string] = {
        dataType: form.get(`MessageAttributes.entry.${n}.Value.DataType`),
        value: form.get(`MessageAttributes.entry.${n}.Value.StringValue`),
      };
    }
    const publish = {
      action: form.get("Action"),
      phoneNumber: form.get("PhoneNumber"),
      message: form.get("Message"),
      attributes,
    };
    publishes.push(publish);
    const custom = options.respond?.(publish);
    if (custom) return custom;
    const messageId = randomUUID();
    messageIds.push(messageId);
    return HttpResponse.xml(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });
  return { handler, publishes, messageIds };
}

/** An SNS error as the query protocol answers it. */
export function snsError(status: number, code: string, message: string, type = "Sender"): Response {
  return HttpResponse.xml(
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    { status },
  );
}
