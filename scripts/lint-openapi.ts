/**
 * Lints the API document with Redocly's recommended rules: `npm run lint:api` (CI runs it). The document is
 * the one /openapi.json serves, built from the app itself rather than a copy that could drift; it needs no
 * database, so the app is built with no dependencies behind it (as test/http/hostile-input.test.ts does).
 * Local mode, so the development outbox is linted too. Errors fail the run; warnings are printed.
 * `-- --summary` prints only the count per rule.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import type { Deps } from "../src/deps";
import { createApp } from "../src/http/app";
import { createLog } from "../src/log";

const app = createApp({
  config: loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }),
  log: createLog("silent"),
} as unknown as Deps);
const res = await app.request("/openapi.json");
if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);

const dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
const file = join(dir, "openapi.json");
// Pretty-printed, so each problem is reported at a line of its own.
writeFileSync(file, JSON.stringify(await res.json(), null, 2));
try {
  const format = process.argv.includes("--summary") ? ["--format", "summary"] : [];
  const lint = spawnSync("npx", ["--no", "redocly", "lint", "--extends", "recommended", ...format, file], {
    stdio: "inherit",
    // Offline: no usage telemetry, no check for a newer CLI on the npm registry.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  process.exitCode = lint.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
