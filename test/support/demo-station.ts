import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { loadConfig } from "../../src/config";
import { startLocalRuntime } from "../../src/local/runtime";
import type { DemoCredentials } from "../../src/local/seed";
import { createLog } from "../../src/log";
import { signPayload } from "../../src/signature";
import { emptyPostgresDatabase, TEST_DB } from "./db";

/**
 * The whole local runtime with the demo station, as `npm start` gives it, for the browser tests: on PGlite
 * under a temporary data directory, or in the PostgreSQL projects on an empty database of its own.
 */
export interface DemoStation {
  runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  credentials: DemoCredentials;
  /** Posts warnings as the demo feed source, signed; answers the response. */
  postWarnings(warnings: Record<string, unknown>[]): Promise<Response>;
  stop(): Promise<void>;
}

export async function startDemoStation(name: string, env: Record<string, string> = {}): Promise<DemoStation> {
  const dataDir = await mkdtemp(join(tmpdir(), `af-${name}-`));
  const database = TEST_DB === "postgres" ? await emptyPostgresDatabase(name) : undefined;
  const config = loadConfig({
    ...(database ? { DATABASE_URL: database.url } : {}),
    NODE_ENV: "development",
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    OUTBOX_RECEIPT_DELAY_MS: "200",
    SEED_DEMO: "true",
    ...env,
  });
  const runtime = await startLocalRuntime(config, createLog("warn"));
  const credentials: DemoCredentials = JSON.parse(
    readFileSync(join(dataDir, "demo-credentials.json"), "utf8"),
  );
  return {
    runtime,
    credentials,
    postWarnings(warnings) {
      const body = JSON.stringify({ warnings });
      return fetch(`${runtime.baseUrl}/v1/feeds/${credentials.feedSource.id}/warnings`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": signPayload(credentials.feedSource.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
    },
    async stop() {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

const axeSource = readFileSync(join(import.meta.dirname, "../../node_modules/axe-core/axe.min.js"), "utf8");

/** axe on the page as it stands: no serious or critical violation (each named with where it is). */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      where: v.nodes.map((node) => node.target.join(" ")).slice(0, 3),
    }));
  });
  expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
}
