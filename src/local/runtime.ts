import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { count } from "drizzle-orm";
import { stations } from "../../schema";
import { assertStationServerSafe, type Config } from "../config";
import type { Db } from "../db/client";
import { migrateDatabase } from "../db/migrate";
import { openDatabase } from "../db/open";
import { createApp } from "../http/app";
import { isLoopback } from "../http/loopback";
import { createMetrics, metricsApp } from "../http/metrics";
import type { Log } from "../log";
import { buildLocalDeps } from "./deps";
import { localPiiKeys } from "./keys";
import { startSchedules } from "./scheduler";
import { seedDemo, writeDemoCredentials } from "./seed";
import { resolveSmsSignature } from "./signature";
import { startupSummary } from "./startup-summary";
import { selectedQueues, startWorkers } from "./workers";

/**
 * The whole pipeline in one process: migrations, API, and a worker per queue, on PGlite or PostgreSQL.
 * `stop()` stops accepting requests, lets in-flight batches finish, then closes the database.
 */
export async function startLocalRuntime(configured: Config, log: Log) {
  assertStationServerSafe(configured);
  const database = await openDatabase({ url: configured.DATABASE_URL, dataDir: configured.DATA_DIR });
  await migrateDatabase(database, configured.DATABASE_URL, configured.MIGRATIONS_DIR);
  let config: Config;
  try {
    config = { ...configured, SMS_SIGNATURE: await resolveSmsSignature(database.db, configured) };
  } catch (error) {
    await database.close();
    throw error;
  }
  const deps = buildLocalDeps({ config, database, log, keys: localPiiKeys(config) });

  const metrics = createMetrics(deps);
  const app = createApp(deps, metrics);
  // Loopback unless HOST says otherwise (src/config.ts): the demo's data is not for the station's network.
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port, address } = server.address() as AddressInfo;
  const metricsServer = config.METRICS_PORT
    ? serve({ fetch: metricsApp(metrics).fetch, port: config.METRICS_PORT, hostname: config.METRICS_HOST })
    : undefined;
  const baseUrl = config.BASE_URL ?? `http://${reachableHost(config.HOST)}:${port}`;

  const shouldSeed = config.SEED_DEMO ?? (config.local && !config.DATABASE_URL);
  if (shouldSeed && config.local) {
    if ((await stationCount(deps.db)) === 0) {
      const credentials = await seedDemo(deps, baseUrl);
      const file = writeDemoCredentials(config.DATA_DIR, credentials);
      printCredentials(credentials, file);
    }
  }

  const workedQueues = selectedQueues(config.WORKERS);
  const workers = await startWorkers(deps, workedQueues);
  const schedules = startSchedules(deps, workedQueues);
  log.info(
    { host: address, port, ...startupSummary(config, { address, port }, baseUrl) },
    "antifraud-alerts running",
  );
  if (!config.local && (await stationCount(deps.db)) === 0) {
    log.warn("no station yet: run `npm run setup` to create the station and its first admin");
  }

  let stopping: Promise<void> | undefined;
  return {
    deps,
    baseUrl,
    host: address,
    port,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        metricsServer?.close();
        schedules.stop();
        await workers.stop();
        await database.close();
      })();
      return stopping;
    },
  };
}

async function stationCount(db: Db): Promise<number> {
  const [{ value } = { value: 0 }] = await db.select({ value: count() }).from(stations);
  return value;
}

function printCredentials(c: Awaited<ReturnType<typeof seedDemo>>, file: string): void {
  const lines = [
    "",
    "Demo data created (local mode only; refused when NODE_ENV=production).",
    `  feed source   ${c.feedSource.id}  secret ${c.feedSource.secret}`,
    `  partner       ${c.partner.id}  apiKey ${c.partner.apiKey}`,
    ...c.officers.map((o) => `  ${o.role.padEnd(12)}  ${o.username.padEnd(20)} password ${o.password}`),
    `  written to ${file}`,
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** How this machine reaches the server: localhost for loopback or every interface, else the address itself. */
function reachableHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || isLoopback(host)) return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}
