import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emptyPostgresDatabase, TEST_DB } from "../support/db";

const ROOT = resolve(import.meta.dirname, "../..");
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** An empty place for a station: PGlite under a fresh DATA_DIR, or a new PostgreSQL database. */
async function emptyStore(): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), "af-setup-"));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (TEST_DB !== "postgres") return { DATA_DIR: dataDir };
  const database = await emptyPostgresDatabase("setup");
  cleanups.push(database.drop);
  return { DATA_DIR: dataDir, DATABASE_URL: database.url };
}

/** `npm run setup` as typed in a terminal: flags, answers on standard input, exit code and output. */
function setup(store: Record<string, string>, args: string[], answers = "") {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/setup.ts", ...args], {
    cwd: ROOT,
    // NODE_ENV=test for a cheap password hash: each run migrates an empty database, slow enough on PGlite.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "test",
      PASSWORD_HASH_COST: "4",
      ...store,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString("utf8");
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
  });
  child.stdin.end(answers);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    child.once("exit", (code) => done({ code, stdout, stderr })),
  );
}

/** The command an administrator runs once (issue 15): prompts in Chinese, refusals in both languages. */
describe("npm run setup", () => {
  it("asks for what the flags left out, prints the one-time password once, and refuses a second station", async () => {
    const store = await emptyStore();

    const first = await setup(store, ["--station", "三工派出所"], "【昌吉公安】\nzhang.admin\n13800138000\n");

    expect(first.code).toBe(0);
    expect(first.stdout).toContain("短信签名 SMS signature");
    expect(first.stdout).not.toContain("派出所名称 Station name");
    expect(first.stdout).toMatch(/one-time password\s+[\w-]{24}\n/);
    expect(first.stdout).toContain("首次登录后须改为自己的密码");

    const second = await setup(store, [
      "--station",
      "二工派出所",
      "--signature",
      "【昌吉公安】",
      "--admin",
      "li.admin",
      "--admin-phone",
      "13900139000",
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("数据库中已有派出所");
    expect(second.stderr).toContain("--another-station");
    expect(second.stdout).not.toContain("one-time password");
  }, 180_000);

  it("names a bad phone number in Chinese and English without touching the database", async () => {
    const store = await emptyStore();

    const result = await setup(store, [
      "--station",
      "三工派出所",
      "--signature",
      "【昌吉公安】",
      "--admin",
      "zhang.admin",
      "--admin-phone",
      "12345",
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--admin-phone: 手机号无效");
    expect(result.stderr).toContain("--admin-phone: not a valid mainland mobile number");
  });

  it("stops with the flags still missing when nothing answers", async () => {
    const result = await setup(await emptyStore(), ["--admin", "zhang.admin"]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--station --signature --admin-phone");
  });
});
