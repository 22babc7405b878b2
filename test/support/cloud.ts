import type { SQSRecord } from "aws-lambda";
import { beforeAll, expect } from "vitest";
import { handleSqsEvent } from "../../src/cloud/sqs-handler";
import type { Deps } from "../../src/deps";
import type { Message } from "../../src/queue/messages";
import { SqsQueue } from "../../src/queue/sqs-queue";
import { SnsChannel } from "../../src/sms/channels/sns-channel";
import { sqsEvent, sqsRecord } from "./aws-events";
import { createTestContext, type TestContext } from "./context";
import { freshDatabase } from "./db";
import { fakeSns, fakeSqs, snsClient, sqsClient, TEST_QUEUE_URLS, type useFakeAws } from "./fake-aws";
import { aWarning } from "./fixture";

/**
 * Migrates the file's template database in a hook (60 s limit) rather than inside its first test
 * (30 s), which a loaded machine can exceed.
 */
export function migrateBeforeAll(): void {
  beforeAll(async () => {
    await freshDatabase();
  });
}

/**
 * The Lambda's dependencies on a real test database: SQS for follow-up work and SNS for SMS, both over
 * msw, so what a consumer publishes or texts is read off the wire.
 */
export async function cloudSetup(server: ReturnType<typeof useFakeAws>) {
  const ctx = await createTestContext();
  const sqs = fakeSqs();
  const sns = fakeSns();
  server.use(sqs.handler, sns.handler);
  const deps: Deps = {
    ...ctx.deps,
    queue: new SqsQueue(sqsClient(), { urls: TEST_QUEUE_URLS, retryDelayMs: () => 1 }),
    sms: new SnsChannel(snsClient({ maxAttempts: 1 })),
  };
  return { ctx, deps, sqs, sns };
}

export async function receivedAlerts(ctx: TestContext, phones: string[]): Promise<string[]> {
  const res = await ctx.postWarnings({ warnings: phones.map((phone) => aWarning({ subject: { phone } })) });
  const body = (await res.json()) as { results: { alertId: string }[] };
  return body.results.map((r) => r.alertId);
}

export const VICTIM = "+8613800138000";
export const OTHER_VICTIM = "+8613800138001";
export const pushMessage = (alertId: string): Message => ({ type: "alert.push", v: 1, alertId });

/**
 * Plays SQS: every message the fake accepted since the last call is delivered to the handler, a batch per
 * queue, until nothing new was sent. Returns every record it delivered, for redelivery.
 */
export async function deliverAll(deps: Deps, sqs: ReturnType<typeof fakeSqs>) {
  const delivered: SQSRecord[] = [];
  let cursor = 0;
  while (cursor < sqs.accepted.length) {
    const batch = sqs.accepted.slice(cursor);
    cursor = sqs.accepted.length;
    for (const queue of new Set(batch.map((a) => a.queue))) {
      const records = batch
        .filter((a) => a.queue === queue)
        .map((a) => sqsRecord(a.entry.MessageBody, { queue: `af-test-${queue}` }));
      const response = await handleSqsEvent(deps, sqsEvent(records));
      expect(response, `batch from ${queue}`).toEqual({ batchItemFailures: [] });
      delivered.push(...records);
    }
  }
  return delivered;
}
