import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterEach, beforeAll } from "vitest";
import { type Database, openDatabase } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";

/** Which database this test project runs on (see vitest.config.ts). */
export const TEST_DB = process.env.TEST_DB === "postgres" ? "postgres" : "pglite";

let migratedLite: Promise<PGlite> | undefined;
let templateReady: Promise<string> | undefined;
const opened: Database[] = [];
const createdPostgres: string[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close().catch(() => {})));
  const names = createdPostgres.splice(0);
  if (names.length === 0) return;
  const admin = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} });
  try {
    for (const name of names) await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
});

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * PostgreSQL: migrate a template database once per worker, then CREATE DATABASE ... TEMPLATE for each test,
 * which copies files instead of replaying migrations.
 */
async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `af_tpl_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const db = await openDatabase({ url, max: 1 });
  await migrateDatabase(db, url);
  await db.close();
  return name;
}

async function migratedPglite(): Promise<PGlite> {
  const lite = await PGlite.create();
  const database = await openDatabase({ pglite: lite });
  await migrateDatabase(database);
  return lite;
}

// Migrate once per test file before its first test, under the hook timeout rather than that test's budget.
beforeAll(async () => {
  if (TEST_DB === "postgres") {
    templateReady ??= postgresTemplate(process.env.DATABASE_URL as string);
    await templateReady;
  } else {
    migratedLite ??= migratedPglite();
    await migratedLite;
  }
});

/** A fresh, migrated, empty database for one test. Closed after the test. */
export async function freshDatabase(): Promise<{ database: Database; url?: string }> {
  if (TEST_DB === "postgres") {
    const adminUrl = process.env.DATABASE_URL as string;
    templateReady ??= postgresTemplate(adminUrl);
    const template = await templateReady;
    const name = `af_t_${randomBytes(6).toString("hex")}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${name} template ${template}`);
    } finally {
      await admin.end();
    }
    createdPostgres.push(name);
    const url = withDatabase(adminUrl, name);
    const database = await openDatabase({ url, max: 5 });
    opened.push(database);
    return { database, url };
  }
  migratedLite ??= migratedPglite();
  const database = await openDatabase({ pglite: (await (await migratedLite).clone()) as PGlite });
  opened.push(database);
  return { database };
}
