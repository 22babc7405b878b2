import { describe, expect, it } from "vitest";
import { assertStationServerSafe, loadConfig } from "../../src/config";
import { startLocalRuntime } from "../../src/local/runtime";
import { startupSummary } from "../../src/local/startup-summary";
import { createLog } from "../../src/log";

const PRODUCTION = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://antifraud:s3cret-pw@db.station.internal:5433/antifraud",
  PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  PII_HASH_KEY: Buffer.alloc(32, 2).toString("base64"),
};
const GATEWAY = JSON.stringify({
  url: "https://sms.gateway.example.cn/send",
  response: { messageIdPath: "id" },
});

/** Issue 15: a station server in production must not go live texting nobody. */
describe("a production start", () => {
  it.each([
    ["SMS_CHANNEL is unset", {}, /SMS_CHANNEL: required in production/],
    [
      "SMS_CHANNEL is the development outbox",
      { SMS_CHANNEL: "outbox" },
      /SMS_CHANNEL: outbox reaches no phone/,
    ],
    ["the HTTP gateway is not described", { SMS_CHANNEL: "http" }, /SMS_HTTP_API: required/],
    [
      "SMS_CHANNEL is SNS, which only the cloud reaches",
      { SMS_CHANNEL: "sns" },
      /SMS_CHANNEL: sns is only available/,
    ],
  ])("is refused when %s, naming the setting, before touching the database", async (_case, env, message) => {
    const config = loadConfig({ ...PRODUCTION, ...env });

    // The database URL points nowhere reachable: the refusal must come first.
    await expect(startLocalRuntime(config, createLog("silent"))).rejects.toThrow(message);
  });

  it("is allowed with a channel that reaches phones, and local mode keeps the outbox default", () => {
    expect(() =>
      assertStationServerSafe(loadConfig({ ...PRODUCTION, SMS_CHANNEL: "http", SMS_HTTP_API: GATEWAY })),
    ).not.toThrow();
    expect(loadConfig({}).SMS_CHANNEL).toBe("outbox");
    expect(() => assertStationServerSafe(loadConfig({}))).not.toThrow();
  });

  it("logs what it runs with in one line, without the database password", () => {
    const config = loadConfig({
      ...PRODUCTION,
      SMS_CHANNEL: "http",
      SMS_HTTP_API: GATEWAY,
      WORKERS: "alert-push,sms-urgent",
      METRICS_PORT: "9464",
    });

    const summary = startupSummary(config, { address: "0.0.0.0", port: 3000 }, "https://alerts.example.cn");

    expect(summary).toEqual({
      database: "postgres db.station.internal:5433/antifraud",
      sms: "http sms.gateway.example.cn",
      workers: "alert-push,sms-urgent",
      publicUrl: "https://alerts.example.cn",
      listen: "0.0.0.0:3000",
      metrics: "127.0.0.1:9464",
    });
    expect(JSON.stringify(summary)).not.toContain("s3cret");
  });
});
