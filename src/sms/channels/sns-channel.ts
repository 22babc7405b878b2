import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { SmsPurpose } from "../../../schema";
import { maskPhone } from "../../privacy/phone";
import { type SmsChannel, SmsSendError, type SmsSendRequest, type SmsSendResult } from "./channel";

export interface SnsChannelOptions {
  /** Alphanumeric sender id, where the destination country supports one. */
  senderId?: string;
  /** A dedicated number (toll-free, 10DLC, long or short code), where the destination requires one. */
  originationNumber?: string;
  /**
   * Give up on one Publish (SDK retries included) after this long: an SMS whose fate is unknown is
   * better retried by the queue than left to hold the batch until the Lambda times out.
   */
  timeoutMs?: number;
}

/**
 * Alert SMS must arrive now, so SNS routes them as Transactional (higher delivery priority). Reminders are
 * not urgent and use the cheaper Promotional route.
 */
const TRANSACTIONAL: ReadonlySet<SmsPurpose> = new Set([
  "victim_warning",
  "officer_notification",
  "escalation_notice",
]);

/** Errors about this one message: the same request fails the same way however often it is sent. */
const PERMANENT = new Set([
  "InvalidParameter",
  "InvalidParameterException",
  "InvalidParameterValue",
  "InvalidParameterValueException",
  "OptedOut",
  "OptedOutException",
  "ValidationException",
  "VerificationException",
  "EndpointDisabled",
  "EndpointDisabledException",
]);

/**
 * SMS through SNS Publish straight to a phone number. SNS has no client reference to de-duplicate by,
 * so not sending twice rests on sendSms's lease; the SNS MessageId is what delivery-status logs name.
 */
export class SnsChannel implements SmsChannel {
  readonly name = "sns";

  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsChannelOptions = {},
  ) {}

  async send(request: SmsSendRequest): Promise<SmsSendResult> {
    const attributes: Record<string, MessageAttributeValue> = {
      "AWS.SNS.SMS.SMSType": {
        DataType: "String",
        StringValue: TRANSACTIONAL.has(request.purpose) ? "Transactional" : "Promotional",
      },
    };
    if (this.options.senderId) {
      attributes["AWS.SNS.SMS.SenderID"] = { DataType: "String", StringValue: this.options.senderId };
    }
    if (this.options.originationNumber) {
      attributes["AWS.MM.SMS.OriginationNumber"] = {
        DataType: "String",
        StringValue: this.options.originationNumber,
      };
    }
    try {
      const output = await this.client.send(
        new PublishCommand({ PhoneNumber: request.to, Message: request.body, MessageAttributes: attributes }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) },
      );
      if (!output.MessageId) throw new SmsSendError("SNS accepted the SMS without a MessageId", true);
      return { providerMessageId: output.MessageId };
    } catch (error) {
      throw toSmsSendError(error, request.to);
    }
  }
}

/** Failures before a connection carried the request: SNS cannot have seen it. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CredentialsProviderError",
]);

/**
 * Only a refusal of this message is final. Throttling, SNS faults, timeouts and anything we cannot
 * classify (our own IAM or network set-up included) are transient: the engine retries them with backoff.
 * When SNS may have accepted the request (a timeout or a connection lost after sending, a gateway
 * timeout) the outcome is unknown: SNS has no client reference to look it up by, so the engine does not
 * send it again rather than risk texting a person twice (src/sms/dispatch/failure-policy.ts).
 */
export function toSmsSendError(error: unknown, to: string): SmsSendError {
  if (error instanceof SmsSendError) return error;
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.name ?? "Error";
  // SNS may quote the number it refused; the reason is stored and logged, the number must not be.
  const text = `SNS ${name}: ${(e.message ?? String(error)).replaceAll(to, maskPhone(to))}`;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) {
    if (PERMANENT.has(name) && status < 500 && status !== 429) return new SmsSendError(text, false);
    return new SmsSendError(text, true, { unknownOutcome: status === 504 });
  }
  // No HTTP answer at all: unless the request never left, SNS may have it.
  const notSent = NOT_SENT.has(e.code ?? "") || NOT_SENT.has(name);
  return new SmsSendError(text, true, { unknownOutcome: !notSent });
}
