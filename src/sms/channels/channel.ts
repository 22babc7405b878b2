/**
 * channels/: the ways an SMS leaves. This port (SmsChannel) and its implementations: the dev outbox, SNS
 * (with its delivery-status logs) and any HTTP SMS gateway described by configuration (a partner's own API
 * or a domestic provider used as the police channel), with the settings that may differ per channel.
 */
import type { SmsPurpose } from "../../../schema";

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

export interface SmsSendErrorOptions {
  /** The provider asked us to wait this long (HTTP 429 Retry-After, a throttling hint). */
  retryAfterMs?: number;
  /**
   * The request may have reached the provider and been accepted (a timeout after the body was sent, a
   * gateway timeout, an unreadable 2xx answer). Sending again could text the person twice; see
   * src/sms/dispatch/failure-policy.ts.
   */
  unknownOutcome?: boolean;
}

/** A provider refused or failed; `transient` failures are retried, permanent ones are final. */
export class SmsSendError extends Error {
  readonly retryAfterMs: number | undefined;
  readonly unknownOutcome: boolean;

  constructor(
    message: string,
    readonly transient: boolean,
    options: SmsSendErrorOptions = {},
  ) {
    super(message);
    this.name = "SmsSendError";
    this.retryAfterMs = options.retryAfterMs;
    this.unknownOutcome = options.unknownOutcome ?? false;
  }
}

/**
 * One interface for every way an SMS leaves: dev outbox, SNS, a partner's or a domestic gateway's HTTP API.
 * Adding a provider is a new class implementing this; the engine (src/sms/dispatch/) does not change.
 */
export interface SmsChannel {
  readonly name: string;
  send(request: SmsSendRequest): Promise<SmsSendResult>;
  /**
   * True when sending the same `messageId` again cannot produce a second SMS (the provider de-duplicates
   * by client reference, or the channel is keyed by our id like the dev outbox). Then an unknown outcome
   * is simply retried.
   */
  readonly dedupesByMessageId?: boolean;
  /**
   * Asks the provider whether it accepted `messageId` (looked up by client reference): the accepted
   * message, or null when the provider has no such message. Lets an unknown outcome be reconciled
   * before anything is re-sent.
   */
  lookup?(messageId: string): Promise<SmsSendResult | null>;
}

/** Channel name of a partner's own gateway; police SMS and partners we send for use the configured channel. */
export const partnerChannelName = (partnerId: string) => `partner:${partnerId}`;
