import type { SmsPurpose } from "../../schema";

export interface SmsSendRequest {
  /** Our message id; channels pass it to providers that de-duplicate by a client reference. */
  messageId: string;
  /** E.164. */
  to: string;
  body: string;
  segments: number;
  purpose: SmsPurpose;
  alertId?: string | null;
}

export interface SmsSendResult {
  providerMessageId: string;
}

/** A provider refused or failed; `transient` failures are retried, permanent ones are final. */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "SmsSendError";
  }
}

/** One interface for every way an SMS leaves: dev outbox, SNS, a partner's or a domestic gateway's HTTP API. */
export interface SmsChannel {
  readonly name: string;
  send(request: SmsSendRequest): Promise<SmsSendResult>;
}
