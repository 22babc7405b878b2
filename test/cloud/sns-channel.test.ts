import { delay, HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { SmsSendError, type SmsSendRequest } from "../../src/sms/channels/channel";
import { SnsChannel, toSmsSendError } from "../../src/sms/channels/sns-channel";
import { fakeSns, snsClient, snsError, useFakeAws } from "../support/fake-aws";

const server = useFakeAws();

const aRequest = (overrides: Partial<SmsSendRequest> = {}): SmsSendRequest => ({
  messageId: "msg_test",
  to: "+8613800138000",
  body: "【昌吉公安】您正在接听的电话可能是诈骗电话，请立即挂断。",
  segments: 1,
  purpose: "victim_warning",
  alertId: "alr_test",
  ...overrides,
});

describe("SnsChannel", () => {
  it("publishes the SMS to the phone number as Transactional with our sender id, returning SNS's MessageId", async () => {
    const sns = fakeSns();
    server.use(sns.handler);

    const result = await new SnsChannel(snsClient(), { senderId: "CJGongAn" }).send(aRequest());

    expect(sns.publishes).toEqual([
      {
        action: "Publish",
        phoneNumber: "+8613800138000",
        message: aRequest().body,
        attributes: {
          "AWS.SNS.SMS.SMSType": { dataType: "String", value: "Transactional" },
          "AWS.SNS.SMS.SenderID": { dataType: "String", value: "CJGongAn" },
        },
      },
    ]);
    expect(result).toEqual({ providerMessageId: sns.messageIds[0] });
  });

  it("sends from the stage's dedicated number when one is configured", async () => {
    const sns = fakeSns();
    server.use(sns.handler);

    await new SnsChannel(snsClient(), { originationNumber: "+6588880000" }).send(aRequest());

    expect(sns.publishes[0]?.attributes["AWS.MM.SMS.OriginationNumber"]).toEqual({
      dataType: "String",
      value: "+6588880000",
    });
  });

  it("sends reminders on the Promotional route and no sender id when none is configured", async () => {
    const sns = fakeSns();
    server.use(sns.handler);

    await new SnsChannel(snsClient()).send(aRequest({ purpose: "parcel_reminder" }));

    expect(sns.publishes[0]?.attributes).toEqual({
      "AWS.SNS.SMS.SMSType": { dataType: "String", value: "Promotional" },
    });
  });

  it.each([
    ["throttling", 429, "Throttled", "Rate exceeded"],
    ["an SNS fault", 500, "InternalError", "internal error"],
    ["a fault it does not know", 503, "ServiceUnavailable", "try later"],
  ])(
    "reports %s as a transient failure SNS did not accept, to be retried",
    async (_case, status, code, text) => {
      server.use(
        fakeSns({ respond: () => snsError(status, code, text, status >= 500 ? "Receiver" : "Sender") })
          .handler,
      );

      const sending = new SnsChannel(snsClient({ maxAttempts: 1 })).send(aRequest());

      await expect(sending).rejects.toBeInstanceOf(SmsSendError);
      await expect(sending).rejects.toMatchObject({ transient: true, unknownOutcome: false });
    },
  );

  it("reports a timeout as transient with an unknown outcome: SNS may have sent it", async () => {
    server.use(
      http.post("https://sns.ap-east-1.amazonaws.com/", async () => {
        await delay(500);
        return HttpResponse.xml("<PublishResponse/>");
      }),
    );

    const slow = new SnsChannel(snsClient({ maxAttempts: 1 }), { timeoutMs: 50 }).send(aRequest());

    await expect(slow).rejects.toMatchObject({ name: "SmsSendError", transient: true, unknownOutcome: true });
  });

  it("reports a gateway timeout as an unknown outcome, and a refused connection as not sent", () => {
    const gateway = Object.assign(new Error("gateway timeout"), {
      name: "GatewayTimeout",
      $metadata: { httpStatusCode: 504 },
    });
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

    expect(toSmsSendError(gateway, "+8613800138000")).toMatchObject({
      transient: true,
      unknownOutcome: true,
    });
    expect(toSmsSendError(refused, "+8613800138000")).toMatchObject({
      transient: true,
      unknownOutcome: false,
    });
  });

  it.each([
    [
      "an invalid parameter",
      "InvalidParameter",
      "Invalid parameter: PhoneNumber Reason: +8613800138000 is not valid",
    ],
    ["an opted-out number", "OptedOut", "Phone number is opted out"],
  ])(
    "reports %s as a permanent failure, without the phone number in its reason",
    async (_case, code, text) => {
      server.use(fakeSns({ respond: () => snsError(400, code, text) }).handler);

      const error = await new SnsChannel(snsClient({ maxAttempts: 1 }))
        .send(aRequest())
        .catch((e: unknown) => e as SmsSendError);

      expect(error).toBeInstanceOf(SmsSendError);
      expect(error).toMatchObject({ transient: false });
      expect((error as Error).message).toContain(code);
      expect((error as Error).message).not.toContain("13800138000");
    },
  );
});
