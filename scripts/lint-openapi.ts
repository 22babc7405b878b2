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

const document = (await res.json()) as Parameters<typeof missingExamples>[0];

/**
 * Beyond Redocly's rules, ours: every operation shows an example of its request body and of each answer, and
 * every error answer is problem+json with an example (Redocly then checks each example against its schema).
 */
function missingExamples(doc: {
  paths: Record<string, Record<string, { requestBody?: Content; responses?: Record<string, Content> }>>;
}): string[] {
  const problems: string[] = [];
  const hasExample = (media: { example?: unknown; examples?: unknown }) =>
    media.example !== undefined || media.examples !== undefined;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`;
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
        if (!hasExample(media)) problems.push(`${name}: request body (${type}) has no example`);
      const responses = Object.entries(op.responses ?? {});
      if (!responses.some(([status]) => /^[45]/.test(status))) problems.push(`${name}: documents no error`);
      for (const [status, response] of responses) {
        if (/^[45]/.test(status) && !response.content?.["application/problem+json"])
          problems.push(`${name}: ${status} is not documented as problem+json`);
        for (const [type, media] of Object.entries(response.content ?? {}))
          if (!hasExample(media)) problems.push(`${name}: ${status} (${type}) has no example`);
      }
    }
  }
  return problems;
}
type Content = { content?: Record<string, { example?: unknown; examples?: unknown }> };

const missing = missingExamples(document);
for (const problem of missing) process.stderr.write(`missing: ${problem}\n`);

const dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
const file = join(dir, "openapi.json");
// Pretty-printed, so each problem is reported at a line of its own.
writeFileSync(file, JSON.stringify(document, null, 2));
try {
  const format = process.argv.includes("--summary") ? ["--format", "summary"] : [];
  const lint = spawnSync("npx", ["--no", "redocly", "lint", "--extends", "recommended", ...format, file], {
    stdio: "inherit",
    // Offline: no usage telemetry, no check for a newer CLI on the npm registry.
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
  });
  process.exitCode = missing.length > 0 ? 1 : (lint.status ?? 1);
  if (missing.length > 0)
    process.stderr.write(`${missing.length} operations lack an example or an error answer\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
