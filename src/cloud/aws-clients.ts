import type { Config } from "../config";

/** SDK calls give up well inside the functions' timeouts; a stuck call is better retried by the queue. */
export const awsClientOptions = (config: Config, maxAttempts: number) => ({
  region: config.AWS_REGION,
  maxAttempts,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
});
