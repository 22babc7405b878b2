import { createHash } from "node:crypto";
import { AwsClient } from "aws4fetch";

/**
 * The two SQS operations the functions call, over SQS's AWS JSON 1.0 protocol, signed by aws4fetch.
 *
 * Why not @aws-sdk/client-sqs here: the SDK's SQS client with its smithy runtime is about 200 KB of every
 * function's bundle (more than any part but zod), and every function publishes; the budget of issue 18 is
 * 1 MB. Publishing needs SendMessageBatch and GetQueueAttributes only, so the functions speak them directly:
 * the same requests the SDK sends (target header, JSON body, endpoint = the queue URL's origin, as the SDK's
 * `useQueueUrlAsEndpoint` does), the same retries of throttling, 5xx and network errors, and the SDK's check
 * that SQS got each body intact (MD5OfMessageBody). The operators' tools (src/cloud/dead-letters.ts) keep the
 * SDK: they run on an operator's machine and need its credential chain.
 */
export interface SqsBatchEntry {
  Id: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, { DataType: string; StringValue: string }>;
}

export interface SqsBatchFailure {
  Id: string;
  Code: string;
  Message?: string;
  SenderFault: boolean;
}

export interface SqsApi {
  /** Entries SQS did not take, each with its reason; an error when the whole request failed. */
  sendMessageBatch(queueUrl: string, entries: SqsBatchEntry[]): Promise<SqsBatchFailure[]>;
  approximateNumberOfMessages(queueUrl: string): Promise<number>;
}

/** An error SQS answered for a whole request; `name` is its code, as the SDK names its errors. */
export class SqsRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

export interface SqsClientOptions {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Tries per request, the first included (the SDK's maxAttempts). */
  maxAttempts?: number;
  /** Milliseconds one try may take before it counts as failed (the SDK's requestTimeout). */
  timeoutMs?: number;
}

// Codes SQS answers when it is busy; the request is tried again, as the SDK's standard retry strategy does.
const THROTTLING = new Set(["ThrottlingException", "RequestThrottled", "TooManyRequestsException"]);

export class SqsJsonClient implements SqsApi {
  private readonly aws: AwsClient;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;

  constructor(options: SqsClientOptions) {
    this.aws = new AwsClient({ ...options.credentials, service: "sqs", region: options.region, retries: 0 });
    this.maxAttempts = options.maxAttempts ?? 3;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Region and credentials from the environment, where Lambda puts its execution role's. */
  static fromEnvironment(options: { maxAttempts?: number; timeoutMs?: number; region?: string } = {}) {
    const env = process.env;
    const region = options.region ?? env.AWS_REGION;
    if (!region) throw new Error("AWS_REGION is not set: SQS needs a region");
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
      throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: SQS needs credentials");
    }
    return new SqsJsonClient({
      ...options,
      region,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN,
      },
    });
  }

  async sendMessageBatch(queueUrl: string, entries: SqsBatchEntry[]): Promise<SqsBatchFailure[]> {
    const output = (await this.call(queueUrl, "SendMessageBatch", {
      QueueUrl: queueUrl,
      Entries: entries,
    })) as {
      Successful?: { Id: string; MD5OfMessageBody?: string }[];
      Failed?: SqsBatchFailure[];
    };
    const bodies = new Map(entries.map((e) => [e.Id, e.MessageBody]));
    // A body that arrived altered is not in the queue as sent: report it as failed, to be sent again.
    const altered = (output.Successful ?? [])
      .filter((s) => s.MD5OfMessageBody !== md5(bodies.get(s.Id) ?? ""))
      .map((s) => ({ Id: s.Id, Code: "MessageBodyChecksumMismatch", SenderFault: false }));
    return [...(output.Failed ?? []), ...altered];
  }

  async approximateNumberOfMessages(queueUrl: string): Promise<number> {
    const output = (await this.call(queueUrl, "GetQueueAttributes", {
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    })) as { Attributes?: Record<string, string> };
    return Number(output.Attributes?.ApproximateNumberOfMessages ?? 0);
  }

  private async call(queueUrl: string, operation: string, body: unknown): Promise<unknown> {
    const endpoint = `${new URL(queueUrl).origin}/`;
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let failure: { retry: boolean; error: Error };
      try {
        const request = await this.aws.sign(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": `AmazonSQS.${operation}`,
          },
          body: payload,
        });
        const response = await fetch(request, { signal: AbortSignal.timeout(this.timeoutMs) });
        const text = await response.text();
        if (response.ok) return text ? JSON.parse(text) : {};
        const error = parseError(text, response.status);
        failure = { retry: response.status >= 500 || THROTTLING.has(error.code), error };
      } catch (error) {
        // No answer (refused, reset, timed out): whether SQS took the batch is unknown; sending it again is
        // safe because every consumer is idempotent.
        failure = { retry: true, error: error instanceof Error ? error : new Error(String(error)) };
      }
      if (!failure.retry || attempt >= this.maxAttempts) throw failure.error;
      // Full jitter, as the SDK's standard strategy: up to 100 ms, 200 ms, ... between tries.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** (attempt - 1)));
    }
  }
}

function parseError(text: string, status: number): SqsRequestError {
  try {
    const body = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    // "com.amazonaws.sqs#QueueDoesNotExist" → "QueueDoesNotExist"
    const code = body.__type?.split("#").pop() ?? `HTTP${status}`;
    return new SqsRequestError(code, body.message ?? body.Message ?? text, status);
  } catch {
    return new SqsRequestError(`HTTP${status}`, text.slice(0, 200), status);
  }
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
