import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoStation, startDemoStation } from "../support/demo-station";

/**
 * The README's partner quick-start, run as written: the shell block between its markers, in bash, against the
 * whole local runtime (`npm start`'s, with the demo station), from the repository's root as a reader would.
 * Sending hours are opened round the clock so the run does not depend on the hour CI runs at.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const dataDir = mkdtempSync(join(tmpdir(), "af-quickstart-"));
let station: DemoStation;

function quickstartBlock(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("<!-- partner-quickstart -->")[1]?.split("<!-- /partner-quickstart -->")[0];
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error("README.md has no partner quick-start block between its markers");
  return block;
}

/** A loopback port nobody listens on, for the quick-start's receiver. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  station = await startDemoStation("quickstart", {
    REMINDER_HOURS: "00:00-24:00",
    OUTBOX_RECEIPT_DELAY_MS: "300",
  });
  writeFileSync(join(dataDir, "demo-credentials.json"), JSON.stringify(station.credentials));
}, 120_000);

afterAll(async () => {
  await station?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("README: the partner quick-start", () => {
  it("takes an API key to a delivered reminder and its signed callbacks in five steps", async () => {
    const { stdout, stderr } = await promisify(execFile)(
      "bash",
      ["-euo", "pipefail", "-c", quickstartBlock()],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          BASE: station.runtime.baseUrl,
          DATA_DIR: dataDir,
          RECEIVER_PORT: String(await freePort()),
        },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(stderr).toBe("");
    const waybill = stdout
      .match(/"waybillNo":"(YT\d+)"|(YT\d+) scheduled/)
      ?.slice(1)
      .find(Boolean);
    expect(stdout).toMatch(/"status":"scheduled","messageId":"msg_/);
    for (const status of ["scheduled", "submitted", "delivered"])
      expect(stdout).toMatch(new RegExp(`mev_\\d+ ${waybill} ${status} signature ok`));
    const readBack = JSON.parse(stdout.trim().split("\n").at(-1) as string);
    expect(readBack.events[0]).toMatchObject({
      decision: "scheduled",
      sms: { status: "delivered" },
      test: false,
    });
  }, 150_000);
});
