import { database } from "./database";
import { vpc } from "./network";
import { queueArns, queueUrls } from "./queues";
import { RDS_CA_FILE, writeRdsCaBundle } from "./rds-ca-bundle";
import { secrets } from "./secrets";
import { runtime, sms } from "./settings";

/**
 * What every function that runs the application shares: the VPC (for the database), the links
 * src/config.ts reads, the settings it parses from the environment, and leave to send to every queue
 * (the API publishes pushes, consumers publish follow-up work and deferred messages) and to see whether
 * one has a backlog.
 */
export function appFunction(args: {
  handler: string;
  timeoutSeconds: number;
  memory?: `${number} MB`;
  sendsSms?: boolean;
  permissions?: sst.aws.FunctionPermissionArgs[];
  /** The ceiling on instances of a function no queue's event source bounds (src/topology.ts, CLOUD_FUNCTIONS). */
  reservedConcurrency?: number;
  /** Packages installed beside the bundle (infra/function-packages.ts). */
  install?: string[];
}): sst.aws.FunctionArgs {
  return {
    ...(args.reservedConcurrency ? { concurrency: { reserved: args.reservedConcurrency } } : {}),
    handler: args.handler,
    runtime,
    architecture: "arm64",
    memory: args.memory ?? "512 MB",
    timeout: `${args.timeoutSeconds} seconds`,
    vpc,
    link: [
      database,
      secrets.piiEncryptionKey,
      secrets.piiHashKey,
      ...(args.sendsSms && secrets.smsHttpApi ? [secrets.smsHttpApi] : []),
    ],
    ...leanBundle,
    nodejs: { ...leanBundle.nodejs, ...(args.install ? { install: args.install } : {}) },
    environment: {
      DATABASE_CA_FILE: RDS_CA_FILE,
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      QUEUE_URLS: queueUrls,
      SMS_CHANNEL: sms.channel,
      ...(sms.channel === "sns" && sms.senderId ? { SNS_SENDER_ID: sms.senderId } : {}),
      ...(sms.channel === "sns" && sms.originationNumber
        ? { SNS_ORIGINATION_NUMBER: sms.originationNumber }
        : {}),
      // A simulated receipt is a timer, and a Lambda is frozen once it answers: it would fire late or never.
      OUTBOX_RECEIPT_DELAY_MS: "-1",
    },
    permissions: [
      // GetQueueAttributes: the sweeper re-drives a lane's SMS only when its queue has no backlog.
      { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: queueArns },
      // Texting a phone number directly has no topic to scope to: `*`, and only where SMS are sent.
      ...(args.sendsSms && sms.channel === "sns" ? [{ actions: ["sns:Publish"], resources: ["*"] }] : []),
      ...(args.permissions ?? []),
    ],
  };
}

/**
 * How every function is bundled and what ships beside it: SST's esbuild build with the plugins in
 * infra/esbuild-plugins.mjs (the same build `npm run bench:lambda` measures and `npm run test:cloud` runs),
 * and the RDS CA bundle the database connection verifies against.
 */
export const leanBundle = {
  nodejs: { plugins: "infra/esbuild-plugins.mjs" },
  copyFiles: [{ from: writeRdsCaBundle(), to: RDS_CA_FILE }],
} satisfies Pick<sst.aws.FunctionArgs, "nodejs" | "copyFiles">;
