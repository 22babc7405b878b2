import { SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "../config";
import { SnsChannel } from "../sms/channels/sns-channel";
import { awsClientOptions } from "./aws-clients";

/**
 * SMS through SNS, for the functions that send (the queue consumers). Its own module so that only their
 * bundles carry the SNS client. The SDK must not retry a Publish by itself: a retried timeout could text
 * someone twice, and the SMS engine retries with backoff and knows the risks.
 */
export const snsChannel = (config: Config) =>
  new SnsChannel(new SNSClient(awsClientOptions(config, 1)), {
    senderId: config.SNS_SENDER_ID,
    originationNumber: config.SNS_ORIGINATION_NUMBER,
  });
