import type { Config } from "../config";

/** AWS calls give up well inside the functions' timeouts; a stuck call is better retried by the queue. */
export const AWS_REQUEST_TIMEOUT_MS = 5_000;

export const awsClientOptions = (config: Config, maxAttempts: number) => ({
  region: config.AWS_REGION,
  maxAttempts,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: AWS_REQUEST_TIMEOUT_MS },
});
