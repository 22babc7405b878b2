import type { Config } from "../config";

/**
 * What the server runs with, for the one start-up log line an administrator checks after a deploy: which
 * database (never its password), where SMS go, which queues this process works, its public URL and where it
 * listens. A station going live against the wrong database or texting nobody shows here.
 */
export interface StartupSummary {
  database: string;
  sms: string;
  workers: string;
  publicUrl: string;
  listen: string;
  /** Where Prometheus scrapes (src/http/metrics.ts), or that nothing is served. */
  metrics: string;
}

export function startupSummary(
  config: Config,
  listen: { address: string; port: number },
  publicUrl: string,
): StartupSummary {
  return {
    database: describeDatabase(config),
    sms: describeSms(config),
    workers: config.WORKERS,
    publicUrl,
    listen: `${listen.address.includes(":") ? `[${listen.address}]` : listen.address}:${listen.port}`,
    metrics: describeMetrics(config),
  };
}

/** `postgres 10.0.0.5:5432/antifraud`: host and database only, so the line never carries credentials. */
export function describeDatabase(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">): string {
  if (!config.DATABASE_URL) return `pglite ${config.DATA_DIR}`;
  try {
    const url = new URL(config.DATABASE_URL);
    const host = url.hostname || url.searchParams.get("host") || "localhost";
    return `postgres ${host}:${url.port || "5432"}${url.pathname || "/"}`;
  } catch {
    return "postgres (unparsable DATABASE_URL)";
  }
}

function describeSms(config: Config): string {
  if (config.SMS_CHANNEL === "http") {
    return config.SMS_HTTP_API ? `http ${new URL(config.SMS_HTTP_API.url).host}` : "http (no SMS_HTTP_API)";
  }
  if (config.SMS_CHANNEL === "sns") return `sns ${config.AWS_REGION ?? "(AWS default region)"}`;
  return "outbox (development: texts nobody)";
}

function describeMetrics(config: Pick<Config, "METRICS_PORT" | "METRICS_HOST" | "METRICS_TOKEN">): string {
  const where = [
    ...(config.METRICS_PORT ? [`${config.METRICS_HOST}:${config.METRICS_PORT}`] : []),
    ...(config.METRICS_TOKEN ? ["/metrics with METRICS_TOKEN"] : []),
  ];
  return where.length > 0 ? where.join(", ") : "off";
}
