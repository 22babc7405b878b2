import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SIGN_JAVA,
  SIGN_NODE,
  SIGN_PYTHON,
  VERIFY_NODE,
  VERIFY_PYTHON,
} from "../../src/http/signing-examples";
import { signPayload } from "../../src/signature";
import { type DemoStation, startDemoStation } from "../support/demo-station";

/**
 * The signing examples the API reference shows, run as a reader would run them, against the whole local runtime
 * (a real listening server): each signs a warning with the demo feed source's secret and posts it; the server must
 * accept it. The verifiers must accept our own callback signature and refuse a tampered body. Java runs where a
 * JDK is installed (the CI image has Java 17); otherwise that case says so and is not counted as run.
 */
const dir = mkdtempSync(join(tmpdir(), "af-signing-"));
let station: DemoStation;

beforeAll(async () => {
  station = await startDemoStation("signing");
}, 120_000);
afterAll(async () => {
  await station?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the example as its own process; asynchronously, since the server it calls runs in this one. */
async function run(
  command: string,
  args: string[],
  file: string,
  source: string,
  env: Record<string, string>,
) {
  writeFileSync(join(dir, file), source);
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...args, join(dir, file)], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return `${stdout}${stderr}`.trim();
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return `${failed.stdout ?? ""}${failed.stderr ?? ""}${failed.message}`.trim();
  }
}

const feedEnv = () => ({
  BASE_URL: station.runtime.baseUrl,
  SOURCE_ID: station.credentials.feedSource.id,
  SECRET: station.credentials.feedSource.secret,
});

const javaAvailable = spawnSync("java", ["-version"]).status === 0;

describe("the API reference's signing examples", () => {
  it("Node: signs and posts a warning the server accepts", async () => {
    const out = await run("node", [], "sign-warning.mjs", SIGN_NODE, feedEnv());
    expect(out).toMatch(/^202 .*"status":"accepted"/);
  });

  it("Python: signs and posts a warning the server accepts", async () => {
    const out = await run("python3", [], "sign_warning.py", SIGN_PYTHON, feedEnv());
    expect(out).toMatch(/^202 .*"status":"accepted"/);
  });

  it.runIf(javaAvailable)(
    "Java: signs and posts a warning the server accepts",
    async () => {
      const out = await run("java", [], "SignWarning.java", SIGN_JAVA, feedEnv());
      expect(out).toMatch(/^202 .*"status":"accepted"/);
    },
    90_000,
  );

  it.each([
    ["Node", "node", "verify.mjs", VERIFY_NODE],
    ["Python", "python3", "verify.py", VERIFY_PYTHON],
  ])(
    "%s: verifies our callback signature and refuses a changed body",
    async (_name, command, file, source) => {
      const body = JSON.stringify({
        partnerId: "par_x",
        events: [{ id: "mev_1", status: "delivered", waybillNo: "驿站-1" }],
      });
      const signature = signPayload("callback-secret", body, Math.floor(Date.now() / 1000));
      expect(
        await run(command, [], file, source, { SECRET: "callback-secret", SIGNATURE: signature, BODY: body }),
      ).toBe("valid");
      expect(
        await run(command, [], file, source, {
          SECRET: "callback-secret",
          SIGNATURE: signature,
          BODY: body.replace("delivered", "failed"),
        }),
      ).toBe("invalid");
    },
  );
});
