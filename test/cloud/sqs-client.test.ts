import { createHash } from "node:crypto";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { SqsJsonClient, SqsRequestError } from "../../src/queue/sqs-client";
import { TEST_REGION } from "../support/aws-events";
import { TEST_QUEUE_URLS, useFakeAws } from "../support/fake-aws";

const server = useFakeAws();
const url = TEST_QUEUE_URLS["alert-push"];
const endpoint = `https://sqs.${TEST_REGION}.amazonaws.com/`;
const json = { "content-type": "application/x-amz-json-1.0" };
const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const entry = { Id: "0", MessageBody: '{"type":"alert.push"}' };

describe("SqsJsonClient (the functions' SQS client)", () => {
  it("signs its requests with the execution role's credentials from the environment", async () => {
    let authorization: string | null = null;
    let token: string | null = null;
    server.use(
      http.post(endpoint, ({ request }) => {
        authorization = request.headers.get("authorization");
        token = request.headers.get("x-amz-security-token");
        return HttpResponse.json({ Successful: [{ Id: "0", MD5OfMessageBody: md5(entry.MessageBody) }] });
      }),
    );
    process.env.AWS_SESSION_TOKEN = "session-token";
    try {
      expect(await SqsJsonClient.fromEnvironment().sendMessageBatch(url, [entry])).toEqual([]);
    } finally {
      delete process.env.AWS_SESSION_TOKEN;
    }
    expect(authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/\\d{8}/${TEST_REGION}/sqs/aws4_request`),
    );
    expect(token).toBe("session-token");
  });

  it("tries again when SQS is busy or failing, up to its attempts, then gives the code", async () => {
    let calls = 0;
    server.use(
      http.post(endpoint, () => {
        calls++;
        return HttpResponse.json(
          { __type: "com.amazonaws.sqs#ThrottlingException", message: "slow down" },
          { status: 400, headers: json },
        );
      }),
    );
    const error = await SqsJsonClient.fromEnvironment({ maxAttempts: 3 })
      .sendMessageBatch(url, [entry])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqsRequestError);
    expect(error).toMatchObject({ name: "ThrottlingException", message: "slow down", status: 400 });
    expect(calls).toBe(3);
  });

  it("recovers from a 500 on the next try", async () => {
    let calls = 0;
    server.use(
      http.post(endpoint, () =>
        ++calls === 1
          ? HttpResponse.json({ __type: "InternalError" }, { status: 500 })
          : HttpResponse.json({ Successful: [{ Id: "0", MD5OfMessageBody: md5(entry.MessageBody) }] }),
      ),
    );
    expect(await SqsJsonClient.fromEnvironment().sendMessageBatch(url, [entry])).toEqual([]);
    expect(calls).toBe(2);
  });

  it("does not repeat a request SQS refused for what it is", async () => {
    let calls = 0;
    server.use(
      http.post(endpoint, () => {
        calls++;
        return HttpResponse.json(
          { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." },
          { status: 400, headers: json },
        );
      }),
    );
    await expect(SqsJsonClient.fromEnvironment().approximateNumberOfMessages(url)).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
    expect(calls).toBe(1);
  });

  it("reports an entry whose body SQS received altered as failed, so it is sent again", async () => {
    server.use(
      http.post(endpoint, () =>
        HttpResponse.json({ Successful: [{ Id: "0", MD5OfMessageBody: md5("something else") }] }),
      ),
    );
    expect(await SqsJsonClient.fromEnvironment().sendMessageBatch(url, [entry])).toEqual([
      { Id: "0", Code: "MessageBodyChecksumMismatch", SenderFault: false },
    ]);
  });

  it("tries again when the connection fails, and says so when it keeps failing", async () => {
    let calls = 0;
    server.use(
      http.post(endpoint, () => {
        calls++;
        return HttpResponse.error();
      }),
    );
    await expect(
      SqsJsonClient.fromEnvironment({ maxAttempts: 2 }).sendMessageBatch(url, [entry]),
    ).rejects.toThrow();
    expect(calls).toBe(2);
  });

  it("refuses to start without a region or credentials, naming what is missing", () => {
    const saved = process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_ACCESS_KEY_ID;
    try {
      expect(() => SqsJsonClient.fromEnvironment()).toThrow(/AWS_ACCESS_KEY_ID/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved;
    }
  });
});
