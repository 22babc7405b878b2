/// <reference path="./.sst/platform/config.d.ts" />

/**
 * The cloud runtime on AWS (SST v4). Resources live in infra/, one file per concern; the queues, their
 * consumers and schedules come from src/topology.ts, the same declaration the local runtime reads.
 */
export default $config({
  app(input) {
    return {
      name: "antifraud-alerts",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      // Hong Kong unless DEPLOY_REGION names another; a stage that sends through SNS must be in a Region
      // that offers SMS (infra/sms-settings.ts).
      providers: { aws: { region: (process.env.DEPLOY_REGION ?? "ap-east-1") as aws.Region } },
    };
  },
  async run() {
    await import("./infra/network");
    await import("./infra/secrets");
    const { database } = await import("./infra/database");
    await import("./infra/migrations");
    const { queues } = await import("./infra/queues");
    await import("./infra/consumers");
    await import("./infra/alarms");
    await import("./infra/schedules");
    await import("./infra/sms-receipts");
    const { api } = await import("./infra/api");
    return {
      api: api.url,
      database: database.host,
      deadLetterQueues: Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, q.dlq.url])),
    };
  },
});
