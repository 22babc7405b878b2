import { describe, expect, it } from "vitest";
import type { Message } from "../../src/queue/messages";
import type { Outgoing } from "../../src/queue/port";
import { SqsPublishError, SqsQueue } from "../../src/queue/sqs-queue";
import { fakeSqs, sqsClient, TEST_QUEUE_URLS, useFakeAws } from "../support/fake-aws";

const server = useFakeAws();

const push = (n: number): Outgoing => ({
  queue: "alert-push",
  message: { type: "alert.push", v: 1, alertId: `alr_${n}`, traceId: `req_${n}` },
});
const send = (n: number): Outgoing => ({
  queue: "sms-urgent",
  message: { type: "sms.send", v: 1, messageId: `msg_${n}` },
});

function queue(options: { maxAttempts?: number; now?: () => number } = {}) {
  return new SqsQueue(sqsClient(), { urls: TEST_QUEUE_URLS, retryDelayMs: () => 1, ...options });
}

describe("SqsQueue", () => {
  it("sends our message bodies with SendMessageBatch, ten at most per call, to each queue's URL", async () => {
    const sqs = fakeSqs();
    server.use(sqs.handler);
    const items = [...Array.from({ length: 23 }, (_, i) => push(i)), send(1), send(2)];

    await queue().publish(items);

    expect(sqs.calls.every((c) => c.target === "AmazonSQS.SendMessageBatch")).toBe(true);
    expect(sqs.calls[0]?.contentType).toBe("application/x-amz-json-1.0");
    const sizes = sqs.calls.map((c) => [c.queueUrl, c.entries.length]);
    expect(sizes).toEqual(
      expect.arrayContaining([
        [TEST_QUEUE_URLS["alert-push"], 10],
        [TEST_QUEUE_URLS["alert-push"], 10],
        [TEST_QUEUE_URLS["alert-push"], 3],
        [TEST_QUEUE_URLS["sms-urgent"], 2],
      ]),
    );
    expect(sqs.calls).toHaveLength(4);
    // Chunks go out concurrently, so they may arrive in any order.
    expect(sqs.bodies("alert-push")).toHaveLength(23);
    expect(sqs.bodies("alert-push")).toEqual(
      expect.arrayContaining(items.slice(0, 23).map((i) => i.message)),
    );
    expect(sqs.bodies("sms-urgent")).toEqual([send(1).message, send(2).message]);
    for (const call of sqs.calls)
      expect(new Set(call.entries.map((e) => e.Id)).size).toBe(call.entries.length);
  });

  it("tells whether a queue has messages waiting, from its ApproximateNumberOfMessages", async () => {
    const sqs = fakeSqs();
    server.use(sqs.handler);
    const q = queue();
    expect(await q.backlogged("sms-bulk")).toBe(false);

    await q.publish([send(1)]);

    expect(await q.backlogged("sms-urgent")).toBe(true);
    expect(await q.backlogged("sms-bulk")).toBe(false);
  });

  it("sends nothing for nothing", async () => {
    server.use(fakeSqs().handler);
    await expect(queue().publish([])).resolves.toBeUndefined();
  });

  it("retries only the entries SQS reported as failed, and succeeds when they get through", async () => {
    const sqs = fakeSqs({
      fail: (entry, call) =>
        call === 0 && ["3", "7"].includes(entry.Id)
          ? { Code: "InternalError", SenderFault: false }
          : undefined,
    });
    server.use(sqs.handler);
    const items = Array.from({ length: 10 }, (_, i) => push(i));

    await queue().publish(items);

    expect(sqs.calls.map((c) => c.entries.map((e) => e.Id))).toEqual([
      ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      ["3", "7"],
    ]);
    const delivered = sqs.bodies("alert-push") as Message[];
    expect(delivered).toHaveLength(10);
    expect(new Set(delivered.map((m) => (m.type === "alert.push" ? m.alertId : "")))).toEqual(
      new Set(items.map((i) => (i.message.type === "alert.push" ? i.message.alertId : ""))),
    );
  });

  it("throws, naming the error, when entries still fail after its attempts, having sent the rest", async () => {
    const sqs = fakeSqs({
      fail: (entry) => (entry.Id === "1" ? { Code: "ServiceUnavailable", SenderFault: false } : undefined),
    });
    server.use(sqs.handler);

    const publishing = queue({ maxAttempts: 3 }).publish([push(0), push(1), push(2)]);

    await expect(publishing).rejects.toBeInstanceOf(SqsPublishError);
    await expect(publishing).rejects.toThrow(/1 queue message\(s\).*ServiceUnavailable/);
    expect(sqs.calls).toHaveLength(3);
    expect(sqs.bodies("alert-push")).toEqual([push(0).message, push(2).message]);
  });

  it("does not retry an entry SQS refused as the sender's fault", async () => {
    const sqs = fakeSqs({
      fail: (entry) => (entry.Id === "0" ? { Code: "InvalidMessageContents", SenderFault: true } : undefined),
    });
    server.use(sqs.handler);

    await expect(queue().publish([push(0), push(1)])).rejects.toThrow(/InvalidMessageContents/);
    expect(sqs.calls).toHaveLength(1);
  });

  it("delays with DelaySeconds, and past SQS's fifteen minutes sends at the cap with the real due time", async () => {
    const sqs = fakeSqs();
    server.use(sqs.handler);
    const now = Date.UTC(2026, 10, 28, 10, 0, 0);

    await queue({ now: () => now }).publish([
      { ...push(1), delaySeconds: 29.2 },
      { ...push(2), delaySeconds: 3600 },
      push(3),
    ]);

    const [soon, later, immediate] = sqs.calls[0]?.entries ?? [];
    expect(soon?.DelaySeconds).toBe(30);
    expect(soon?.MessageAttributes).toBeUndefined();
    expect(later?.DelaySeconds).toBe(900);
    expect(later?.MessageAttributes).toEqual({
      "af-not-before": { DataType: "Number", StringValue: String(now + 3600 * 1000) },
      "af-queue": { DataType: "String", StringValue: "alert-push" },
    });
    expect(immediate?.DelaySeconds).toBeUndefined();
  });
});
