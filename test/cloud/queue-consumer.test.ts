import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { alerts, feedSources, posts, smsMessages } from "../../schema";
import { handleSqsEvent } from "../../src/cloud/sqs-handler";
import { redelivered, sqsEvent, sqsRecord } from "../support/aws-events";
import {
  cloudSetup,
  deliverAll,
  migrateBeforeAll,
  OTHER_VICTIM,
  pushMessage,
  receivedAlerts,
  VICTIM,
} from "../support/cloud";
import { TEST_QUEUE_URLS, useFakeAws } from "../support/fake-aws";
import { aWarning } from "../support/fixture";

const server = useFakeAws();
migrateBeforeAll();

describe("queue-consumer Lambda (handleSqsEvent)", () => {
  it("pushes the alert for an alert.push record and sends its follow-up work to SQS after commit", async () => {
    const { ctx, deps, sqs } = await cloudSetup(server);
    const [alertId] = await receivedAlerts(ctx, [VICTIM]);

    const response = await handleSqsEvent(deps, sqsEvent([sqsRecord(pushMessage(alertId as string))]));

    expect(response).toEqual({ batchItemFailures: [] });
    const [alert] = await ctx.deps.db
      .select()
      .from(alerts)
      .where(eq(alerts.id, alertId as string));
    expect(alert?.stage).toBe("pushed");
    expect(alert?.postId).toBe(ctx.fixture.ids.miaogong);
    const [warning] = await ctx.deps.db
      .select()
      .from(smsMessages)
      .where(and(eq(smsMessages.alertId, alertId as string), eq(smsMessages.purpose, "victim_warning")));
    expect(sqs.bodies("sms-urgent")).toEqual([
      expect.objectContaining({ type: "sms.send", messageId: warning?.id }),
    ]);
    expect(sqs.bodies("officer-notify")).toEqual([
      expect.objectContaining({ type: "officer.notify", officerId: "off_miaogong" }),
    ]);
  });

  it("texts each recipient once through SNS, however often SQS delivers the same records", async () => {
    const { ctx, deps, sqs, sns } = await cloudSetup(server);
    const [alertId] = await receivedAlerts(ctx, [VICTIM]);
    const push = sqsRecord(pushMessage(alertId as string));
    await handleSqsEvent(deps, sqsEvent([push]));
    const delivered = await deliverAll(deps, sqs);
    const sentBefore = sqs.accepted.length;

    const again = await handleSqsEvent(deps, sqsEvent([push, ...delivered].map(redelivered)));

    expect(again).toEqual({ batchItemFailures: [] });
    expect(sns.publishes.map((p) => p.phoneNumber).sort()).toEqual(
      [VICTIM, ctx.fixture.phones.miaogong].sort(),
    );
    expect(sqs.accepted).toHaveLength(sentBefore);
    const messages = await ctx.deps.db.select().from(smsMessages);
    expect(messages.map((m) => m.status)).toEqual(["submitted", "submitted"]);
    expect(new Set(messages.map((m) => m.providerMessageId))).toEqual(new Set(sns.messageIds));
  });

  it.each([
    ["text that is not JSON", "{not json"],
    ["an unknown message type", { type: "alert.explode", v: 1, alertId: "alr_x" }],
    ["a message of a version it does not know", { type: "alert.push", v: 2, alertId: "alr_x" }],
  ])("acknowledges %s instead of retrying it", async (_case, body) => {
    const { deps, sqs, sns } = await cloudSetup(server);

    const response = await handleSqsEvent(deps, sqsEvent([sqsRecord(body)]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.calls).toHaveLength(0);
    expect(sns.publishes).toHaveLength(0);
  });

  it("reports only the record whose handler threw, so SQS redelivers just that one", async () => {
    const { ctx, deps } = await cloudSetup(server);
    const [routable = ""] = await receivedAlerts(ctx, [VICTIM]);
    await ctx.deps.db.insert(feedSources).values({
      id: "src_other",
      stationId: ctx.fixture.ids.otherStation,
      name: "Other platform",
      secretEnc: ctx.deps.pii.encrypt("other-secret"),
    });
    const res = await ctx.postWarnings(
      { warnings: [aWarning({ subject: { phone: OTHER_VICTIM } })] },
      { sourceId: "src_other", secret: "other-secret" },
    );
    const unroutable = ((await res.json()) as { results: { alertId: string }[] }).results[0]
      ?.alertId as string;
    // With no duty desk the other station's alert cannot be routed: pushing it throws until one exists.
    await ctx.deps.db.update(posts).set({ isDutyDesk: false }).where(eq(posts.id, ctx.fixture.ids.otherDesk));
    const records = [sqsRecord(pushMessage(routable)), sqsRecord(pushMessage(unroutable))];

    const response = await handleSqsEvent(deps, sqsEvent(records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.messageId }] });
    const stages = await ctx.deps.db
      .select({ id: alerts.id, stage: alerts.stage })
      .from(alerts)
      .where(inArray(alerts.id, [routable, unroutable]));
    expect(Object.fromEntries(stages.map((a) => [a.id, a.stage]))).toEqual({
      [routable]: "pushed",
      [unroutable]: "received",
    });
  });

  it("hands the function's stop signal to each handler, so a paced one can end before the timeout", async () => {
    const { deps } = await cloudSetup(server);
    const stop = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const handle = async (_message: unknown, ctx: { signal?: AbortSignal }) => {
      seen.push(ctx.signal);
    };

    await handleSqsEvent(
      deps,
      sqsEvent([sqsRecord(pushMessage("alr_a")), sqsRecord(pushMessage("alr_b"))]),
      handle,
      stop.signal,
    );
    stop.abort();

    expect(seen).toHaveLength(2);
    expect(seen.every((signal) => signal?.aborted)).toBe(true);
  });

  it("sends a message back to its queue while it is not yet due, and handles it once it is", async () => {
    const { ctx, deps, sqs } = await cloudSetup(server);
    const [alertId = ""] = await receivedAlerts(ctx, [VICTIM]);
    const now = ctx.deps.clock.now().getTime();
    const deferred = (notBefore: number) =>
      sqsRecord(pushMessage(alertId), {
        messageAttributes: {
          "af-not-before": { dataType: "Number", stringValue: String(notBefore) },
          "af-queue": { dataType: "String", stringValue: "alert-push" },
        },
      });

    const early = await handleSqsEvent(deps, sqsEvent([deferred(now + 3600_000)]));

    expect(early).toEqual({ batchItemFailures: [] });
    const [resent] = sqs.calls;
    expect(resent?.queueUrl).toBe(TEST_QUEUE_URLS["alert-push"]);
    expect(resent?.entries[0]?.DelaySeconds).toBe(900);
    expect(JSON.parse(resent?.entries[0]?.MessageBody as string)).toEqual(pushMessage(alertId));
    const [waiting] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    expect(waiting?.stage).toBe("received");

    const due = await handleSqsEvent(deps, sqsEvent([deferred(now - 1000)]));

    expect(due).toEqual({ batchItemFailures: [] });
    const [pushed] = await ctx.deps.db.select().from(alerts).where(eq(alerts.id, alertId));
    expect(pushed?.stage).toBe("pushed");
  });
});
