import { connectPostgres } from "../../src/db/postgres";

/** The benchmarks' throw-away databases next to the one DATABASE_URL names, and which server holds them. */

/**
 * A bench's database name with `BENCH_DB_SUFFIX` appended (default none): the benches drop and create their
 * databases by fixed names, so two runs at once on a shared server would drop each other's; a suffix per run
 * keeps them apart.
 */
export function benchDatabase(name: string): string {
  const suffix = process.env.BENCH_DB_SUFFIX ?? "";
  if (!/^[a-z0-9_]*$/.test(suffix)) throw new Error(`BENCH_DB_SUFFIX must be lowercase letters, digits or _`);
  return `${name}${suffix}`;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops and creates `name` next to the database DATABASE_URL names; returns its URL. */
export async function recreateDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = connectPostgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const admin = connectPostgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export async function postgresVersion(url: string): Promise<string> {
  const client = connectPostgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client<{ server_version: string }[]>`show server_version`;
    return `PostgreSQL ${row?.server_version ?? "?"}`;
  } finally {
    await client.end({ timeout: 5 });
  }
}
