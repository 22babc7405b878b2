import { describe, expect, it } from "vitest";
import { SmsSettingsError, smsSettings } from "../../infra/sms-settings";

const production = (env: Record<string, string>, region = "ap-southeast-1") =>
  smsSettings({ stage: "production", region, env });

describe("a stage's SMS channel, checked at deploy (infra/sms-settings.ts)", () => {
  it("lets a staging stage record SMS in the outbox unless told otherwise", () => {
    expect(smsSettings({ stage: "staging", region: "ap-east-1", env: {} })).toEqual({ channel: "outbox" });
  });

  it("makes production name its channel, and never the outbox", () => {
    expect(() => production({})).toThrow(/SMS_CHANNEL: production must name/);
    expect(() => production({ SMS_CHANNEL: "outbox" })).toThrow(/refused in production/);
    expect(() => production({ SMS_CHANNEL: "pigeon" })).toThrow(SmsSettingsError);
  });

  it("sends a mainland deployment through a domestic gateway from any Region", () => {
    expect(production({ SMS_CHANNEL: "http" }, "ap-east-1")).toEqual({ channel: "http" });
    expect(production({ SMS_CHANNEL: "http" }, "cn-northwest-1")).toEqual({ channel: "http" });
  });

  it("refuses SNS where SNS sends no SMS: Hong Kong, and every China Region", () => {
    const sns = { SMS_CHANNEL: "sns", SNS_MONTHLY_SPEND_LIMIT_USD: "200", SNS_SMS_SANDBOX: "exited" };
    expect(() => production(sns, "ap-east-1")).toThrow(/SNS sends no SMS from ap-east-1.*SMS_CHANNEL=http/);
    expect(() => production(sns, "cn-north-1")).toThrow(/no China Region offers SNS SMS/);
    expect(production(sns, "ap-southeast-1")).toEqual({ channel: "sns", monthlySpendLimitUsd: 200 });
  });

  it("refuses SNS without a spend limit, and a production still in the SMS sandbox", () => {
    expect(() => production({ SMS_CHANNEL: "sns", SNS_SMS_SANDBOX: "exited" })).toThrow(
      /SNS_MONTHLY_SPEND_LIMIT_USD/,
    );
    expect(() =>
      production({ SMS_CHANNEL: "sns", SNS_SMS_SANDBOX: "exited", SNS_MONTHLY_SPEND_LIMIT_USD: "-5" }),
    ).toThrow(/SNS_MONTHLY_SPEND_LIMIT_USD/);
    expect(() => production({ SMS_CHANNEL: "sns", SNS_MONTHLY_SPEND_LIMIT_USD: "200" })).toThrow(
      /SNS_SMS_SANDBOX/,
    );
    // A test stage may stay in the sandbox, texting only the numbers verified there.
    expect(
      smsSettings({
        stage: "staging",
        region: "eu-west-1",
        env: { SMS_CHANNEL: "sns", SNS_MONTHLY_SPEND_LIMIT_USD: "5" },
      }),
    ).toEqual({ channel: "sns", monthlySpendLimitUsd: 5 });
  });

  it("takes a sender id and an origination number as the stage's settings, checked", () => {
    const sns = { SMS_CHANNEL: "sns", SNS_MONTHLY_SPEND_LIMIT_USD: "50", SNS_SMS_SANDBOX: "exited" };
    expect(production({ ...sns, SNS_SENDER_ID: "CJGongAn", SNS_ORIGINATION_NUMBER: "+6588880000" })).toEqual({
      channel: "sns",
      monthlySpendLimitUsd: 50,
      senderId: "CJGongAn",
      originationNumber: "+6588880000",
    });
    expect(() => production({ ...sns, SNS_SENDER_ID: "公安" })).toThrow(/SNS_SENDER_ID/);
    expect(() => production({ ...sns, SNS_ORIGINATION_NUMBER: "8880000" })).toThrow(/SNS_ORIGINATION_NUMBER/);
  });
});
