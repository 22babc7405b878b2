import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { startLocalRuntime } from "../../src/local/runtime";
import { createLog } from "../../src/log";
import { freshDatabase, TEST_DB } from "../support/db";

const PRODUCTION = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
  PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  PII_HASH_KEY: Buffer.alloc(32, 2).toString("base64"),
};

/** Where the server listens (issue 10, item 7): a laptop's demo is not on the station's network by default. */
describe("HOST", () => {
  it("defaults to loopback in local mode and to every interface in production", () => {
    expect(loadConfig({}).HOST).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test" }).HOST).toBe("127.0.0.1");
    expect(loadConfig(PRODUCTION).HOST).toBe("0.0.0.0");
  });

  it("takes an address to listen on, and refuses anything else naming the key", () => {
    expect(loadConfig({ HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "::" }).HOST).toBe("::");
    expect(loadConfig({ ...PRODUCTION, HOST: "127.0.0.1" }).HOST).toBe("127.0.0.1");
    for (const bad of ["", "every", "0.0.0.0:3000", "http://0.0.0.0"]) {
      expect(() => loadConfig({ HOST: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ HOST: bad }), bad).toThrow(/HOST/);
    }
  });

  // On PGlite the runtime opens its own embedded database under DATA_DIR; on PostgreSQL the test's own database.
  it("is where `npm start` listens", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "af-listen-"));
    const { url } = TEST_DB === "postgres" ? await freshDatabase() : { url: undefined };
    const config = loadConfig({
      ...(url ? { DATABASE_URL: url } : {}),
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
      WORKERS: "none",
      SEED_DEMO: "false",
    });
    const runtime = await startLocalRuntime(config, createLog("silent"));
    try {
      expect(runtime.host).toBe("127.0.0.1");
      expect(runtime.baseUrl).toBe(`http://localhost:${runtime.port}`);
      expect((await fetch(`http://127.0.0.1:${runtime.port}/healthz`)).status).toBe(200);
    } finally {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
