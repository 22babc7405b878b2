/** Per-stage choices; everything else about the system is in src/topology.ts and src/config.ts. */
export const isProduction = $app.stage === "production";

/**
 * Only production texts real phones. Other stages record every SMS in the dev outbox table, so a staging
 * deploy runs the whole pipeline without reaching anyone.
 */
export const smsChannel = isProduction ? "sns" : "outbox";

/**
 * Database connections the stage's functions may hold at once (src/topology.ts, cloudConnectionDemand: every
 * function at its concurrency ceiling × its pool). Production goes through RDS Proxy, which multiplexes them
 * onto fewer server connections; other stages connect directly, so theirs stays under the instance's
 * max_connections (about 110 on the default db.t4g.micro) with room for an operator's psql.
 */
export const databaseConnectionBudget = isProduction ? 200 : 120;

/** Who hears about alarms (infra/alarms.ts) by e-mail; set OPERATOR_EMAIL when deploying. */
export const operatorEmail: string | undefined = process.env.OPERATOR_EMAIL || undefined;

/** An alphanumeric sender id, where the destination country supports one (mainland China does not). */
export const snsSenderId: string | undefined = undefined;

/** Lambda's runtime; the code itself stays Node 20-compatible, as `npm start` and CI run it there. */
export const runtime = "nodejs22.x";

/** `alert-push` → `AlertPush`: SST resource names are letters and digits only. */
export const pascal = (name: string) =>
  name
    .split(/[^a-zA-Z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
