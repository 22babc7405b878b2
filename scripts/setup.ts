/**
 * Creates the station, its duty desk and the first admin on the configured database (DATABASE_URL, or PGlite
 * under DATA_DIR), applying migrations first. Flags, or prompts for what is missing:
 *   npm run setup -- --station "三工派出所" --signature "【昌吉公安】" --admin zhang.admin --admin-phone 13800138000
 * The admin's one-time password is printed once; they choose their own at first login.
 * Exit codes: 0 created, 1 refused or failed, 2 bad usage.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { systemClock } from "../src/clock";
import { ConfigError, loadConfig } from "../src/config";
import { describeDatabase } from "../src/local/startup-summary";
import { openStationStore } from "../src/local/store";
import {
  BootstrapError,
  type BootstrapInput,
  bootstrapStation,
  checkBootstrapInput,
} from "../src/organisation/bootstrap";

const QUESTIONS = [
  ["station", "派出所名称 Station name (例 三工派出所): "],
  ["signature", "短信签名 SMS signature (例【昌吉公安】): "],
  ["admin", "管理员用户名 Admin username (例 zhang.admin): "],
  ["admin-phone", "管理员手机号 Admin mobile (例 13800138000): "],
] as const;

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      station: { type: "string" },
      signature: { type: "string" },
      admin: { type: "string" },
      "admin-phone": { type: "string" },
      "admin-name": { type: "string" },
      "another-station": { type: "boolean", default: false },
    },
    strict: true,
  }).values;
}
try {
  parsed = parse();
} catch (error) {
  fail(`用法错误 usage: ${(error as Error).message}\n${QUESTIONS.map(([f]) => `--${f}`).join(" ")}`, 2);
}

/**
 * Asks for each value not given as a flag. Lines are read as an iterator, so answers piped in ahead of the
 * questions are not lost; end of input (no terminal, nothing piped) leaves the rest missing.
 */
async function askMissing(values: Record<string, string | boolean | undefined>): Promise<void> {
  const missing = QUESTIONS.filter(([flag]) => !values[flag]);
  if (missing.length === 0) return;
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (const [flag, question] of missing) {
      process.stdout.write(question);
      const line = await lines.next();
      if (line.done) break;
      values[flag] = line.value.trim() || undefined;
    }
  } finally {
    rl.close();
  }
  const stillMissing = missing.filter(([flag]) => !values[flag]).map(([flag]) => `--${flag}`);
  if (stillMissing.length > 0) fail(`\n缺少 missing: ${stillMissing.join(" ")}`, 2);
}

const values: Record<string, string | boolean | undefined> = { ...parsed };
await askMissing(values);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}

const input: BootstrapInput = {
  stationName: values.station as string,
  signature: values.signature as string,
  adminUsername: values.admin as string,
  adminPhone: values["admin-phone"] as string,
  adminDisplayName: values["admin-name"] as string | undefined,
  anotherStation: values["another-station"] === true,
};

try {
  checkBootstrapInput(input);
} catch (error) {
  if (error instanceof BootstrapError) fail(refusal(error));
  throw error;
}

function refusal(error: BootstrapError): string {
  return `--${error.field}: ${error.zh}\n--${error.field}: ${error.en}`;
}

const { database, pii } = await openStationStore(config);
try {
  const result = await bootstrapStation({ db: database.db, pii, clock: systemClock, config }, input);
  process.stdout.write(
    [
      `已创建 Created on ${describeDatabase(config)}:`,
      `  派出所 station      ${input.stationName} (${result.stationId})`,
      `  值班室 duty desk    所值班室 (${result.dutyDeskId})`,
      `  短信签名 signature  ${input.signature} (stored with the station; the server sends with it, leave SMS_SIGNATURE unset)`,
      `  管理员 admin        ${result.adminUsername}`,
      `  一次性密码 one-time password  ${result.oneTimePassword}`,
      "",
      "此密码只显示这一次，首次登录后须改为自己的密码。",
      "This password is shown once; the admin must choose their own at first login.",
      "",
    ].join("\n"),
  );
} catch (error) {
  if (!(error instanceof BootstrapError)) throw error;
  process.stderr.write(`${refusal(error)}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
