import { describe, expect, it } from "vitest";
import { smsMessages } from "../../schema";
import { handleSnsDeliveryLogs } from "../../src/cloud/sns-delivery-logs";
import { handleSqsEvent } from "../../src/cloud/sqs-handler";
import { cloudWatchLogsEvent, snsDeliveryRecord, sqsEvent, sqsRecord } from "../support/aws-events";
import {
  cloudSetup,
  deliverAll,
  migrateBeforeAll,
  pushMessage,
  receivedAlerts,
  VICTIM,
} from "../support/cloud";
import { useFakeAws } from "../support/fake-aws";

const server = useFakeAws();
migrateBeforeAll();

async function sentThroughSns() {
  const setup = await cloudSetup(server);
  const [alertId = ""] = await receivedAlerts(setup.ctx, [VICTIM]);
  await handleSqsEvent(setup.deps, sqsEvent([sqsRecord(pushMessage(alertId))]));
  await deliverAll(setup.deps, setup.sqs);
  const messages = await setup.ctx.deps.db.select().from(smsMessages);
  const byPhone = new Map(
    setup.sns.publishes.map((p, i) => [p.phoneNumber, setup.sns.messageIds[i] as string]),
  );
  return { ...setup, messages, byPhone };
}

describe("SNS delivery-status logs Lambda (handleSnsDeliveryLogs)", () => {
  it("marks each SMS delivered or failed from the records SNS logged for its MessageId", async () => {
    const { ctx, deps, byPhone } = await sentThroughSns();
    const officerPhone = ctx.fixture.phones.miaogong;

    const counts = await handleSnsDeliveryLogs(
      deps,
      cloudWatchLogsEvent([
        snsDeliveryRecord(byPhone.get(VICTIM) as string, VICTIM, "SUCCESS"),
        snsDeliveryRecord(byPhone.get(officerPhone) as string, officerPhone, "FAILURE"),
      ]),
    );

    expect(counts).toMatchObject({ applied: 2, unreadable: 0, unmatched: 0 });
    const statuses = await ctx.deps.db
      .select({ providerMessageId: smsMessages.providerMessageId, status: smsMessages.status })
      .from(smsMessages);
    expect(Object.fromEntries(statuses.map((s) => [s.providerMessageId, s.status]))).toEqual({
      [byPhone.get(VICTIM) as string]: "delivered",
      [byPhone.get(officerPhone) as string]: "failed",
    });
  });

  it("changes nothing for a repeated record, a record it cannot read, or the subscription's control message", async () => {
    const { ctx, deps, byPhone } = await sentThroughSns();
    const delivered = snsDeliveryRecord(byPhone.get(VICTIM) as string, VICTIM, "SUCCESS");
    await handleSnsDeliveryLogs(deps, cloudWatchLogsEvent([delivered]));
    const before = await ctx.deps.db.select().from(smsMessages);

    const counts = await handleSnsDeliveryLogs(deps, cloudWatchLogsEvent([delivered, "START RequestId: x"]));
    const control = await handleSnsDeliveryLogs(
      deps,
      cloudWatchLogsEvent(["CWL CONTROL MESSAGE: Checking health of destination"], {
        messageType: "CONTROL_MESSAGE",
      }),
    );

    expect(counts).toMatchObject({ applied: 0, duplicate: 1, unreadable: 1 });
    expect(control).toMatchObject({ applied: 0, duplicate: 0, unreadable: 0 });
    expect(await ctx.deps.db.select().from(smsMessages)).toEqual(before);
  });
});
