import { smsSettings } from "./sms-settings";

/** Per-stage choices; everything else about the system is in src/topology.ts and src/config.ts. */
export const isProduction = $app.stage === "production";

/** The stage's Region (sst.config.ts: DEPLOY_REGION, Hong Kong unless set). */
export const region: string = $app.providers?.aws?.region ?? "ap-east-1";

/**
 * How the stage sends SMS (infra/sms-settings.ts): production names its channel, a domestic gateway (http)
 * or SNS where the Region offers it, with a spend limit; other stages record every SMS in the dev outbox
 * table unless told otherwise, so a staging deploy runs the whole pipeline without reaching anyone. A
 * setting that cannot work fails the deploy before anything is created.
 */
export const sms = smsSettings({ stage: $app.stage, region, env: process.env });

/**
 * Database connections the stage's functions may hold at once (src/topology.ts, cloudConnectionDemand: every
 * function at its concurrency ceiling × its pool). Production goes through RDS Proxy, which multiplexes them
 * onto fewer server connections; other stages connect directly, so theirs stays under the instance's
 * max_connections (about 110 on the default db.t4g.micro) with room for an operator's psql.
 */
export const databaseConnectionBudget = isProduction ? 200 : 120;

/** Who hears about alarms (infra/alarms.ts) by e-mail; set OPERATOR_EMAIL when deploying. */
export const operatorEmail: string | undefined = process.env.OPERATOR_EMAIL || undefined;

/** Lambda's runtime; the code itself stays Node 20-compatible, as `npm start` and CI run it there. */
export const runtime = "nodejs22.x";

/** `alert-push` → `AlertPush`: SST resource names are letters and digits only. */
export const pascal = (name: string) =>
  name
    .split(/[^a-zA-Z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
