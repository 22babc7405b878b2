/**
 * How a stage sends SMS, decided at deploy from its settings (environment variables of `sst deploy`) and
 * checked before anything is created. Plain TypeScript without SST's globals, so the rules are tested
 * (test/cloud/sms-settings.test.ts).
 */

/**
 * Regions where SNS sends SMS, from AWS's SNS developer guide ("Supported countries and regions"). Hong Kong
 * (ap-east-1) is not among them, and the China Regions (Beijing cn-north-1, Ningxia cn-northwest-1) offer
 * no SNS SMS at all.
 */
export const SNS_SMS_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-south-1",
  "eu-north-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "sa-east-1",
];

export type SmsSettings =
  | { channel: "outbox" }
  /** A domestic gateway; its API (src/sms/channels/http-gateway-api.ts) is the SST secret SmsHttpApi. */
  | { channel: "http" }
  | {
      channel: "sns";
      /** USD a month SNS may spend on SMS before it stops sending (the account's SMS preference). */
      monthlySpendLimitUsd: number;
      senderId?: string;
      /** A dedicated number (toll-free, 10DLC, long or short code) where the destination requires one. */
      originationNumber?: string;
    };

export class SmsSettingsError extends Error {}

/**
 * Production texts real phones, so it names its channel; other stages default to the outbox, which records
 * every SMS and sends none. SNS is refused where it cannot send (the region) or could spend without bound.
 */
export function smsSettings(input: {
  stage: string;
  region: string;
  env: Record<string, string | undefined>;
}): SmsSettings {
  const { stage, region, env } = input;
  const production = stage === "production";
  const channel = env.SMS_CHANNEL ?? (production ? undefined : "outbox");
  if (channel === undefined) {
    throw new SmsSettingsError(
      "SMS_CHANNEL: production must name its SMS channel: http (a domestic gateway, SmsHttpApi secret) or sns",
    );
  }
  if (channel === "outbox") {
    if (production)
      throw new SmsSettingsError("SMS_CHANNEL: outbox reaches no phone and is refused in production");
    return { channel };
  }
  if (channel === "http") return { channel };
  if (channel !== "sns") throw new SmsSettingsError(`SMS_CHANNEL: ${channel} is not sns, http or outbox`);

  if (!SNS_SMS_REGIONS.includes(region)) {
    const mainland = region.startsWith("cn-");
    throw new SmsSettingsError(
      `SMS_CHANNEL: SNS sends no SMS from ${region}${mainland ? " (no China Region offers SNS SMS)" : ""}; ` +
        "deploy to a Region that does, or send through a domestic gateway (SMS_CHANNEL=http)",
    );
  }
  const limit = Number(env.SNS_MONTHLY_SPEND_LIMIT_USD);
  if (!env.SNS_MONTHLY_SPEND_LIMIT_USD || !Number.isInteger(limit) || limit <= 0) {
    throw new SmsSettingsError(
      "SNS_MONTHLY_SPEND_LIMIT_USD: a whole number of US dollars is required with SMS_CHANNEL=sns (AWS's default is 1)",
    );
  }
  // An account starts in the SMS sandbox, where only verified numbers receive; leaving it is a request to AWS
  // support. A production stage attests it has left: in the sandbox no victim would be warned.
  if (production && env.SNS_SMS_SANDBOX !== "exited") {
    throw new SmsSettingsError(
      "SNS_SMS_SANDBOX: production sends to every phone only once the account has left the SMS sandbox; set exited after AWS confirms it",
    );
  }
  const senderId = env.SNS_SENDER_ID || undefined;
  if (senderId && !/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/.test(senderId)) {
    throw new SmsSettingsError("SNS_SENDER_ID: 1-11 letters or digits, at least one letter");
  }
  const originationNumber = env.SNS_ORIGINATION_NUMBER || undefined;
  if (originationNumber && !/^\+[1-9]\d{4,14}$/.test(originationNumber)) {
    throw new SmsSettingsError("SNS_ORIGINATION_NUMBER: an E.164 number such as +12065550100");
  }
  return { channel, monthlySpendLimitUsd: limit, senderId, originationNumber };
}
