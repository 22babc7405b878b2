import { describe, expect, it } from "vitest";
import { envFromLinks, loadConfig } from "../../src/config";
import { TEST_QUEUE_URLS } from "../support/fake-aws";

const key = (byte: number) => Buffer.alloc(32, byte).toString("base64");

const links = {
  App: { name: "antifraud-alerts", stage: "prod" },
  Database: {
    host: "db.internal",
    port: 5432,
    username: "postgres",
    password: "p@ss/word",
    database: "antifraud",
  },
  PiiEncryptionKey: { value: key(1), type: "sst.sst.Secret" },
  PiiHashKey: { value: key(2), type: "sst.sst.Secret" },
};

describe("cloud configuration", () => {
  it("turns the SST links into the settings the one schema validates", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      QUEUE_URLS: JSON.stringify(TEST_QUEUE_URLS),
      SMS_CHANNEL: "sns",
      SNS_SENDER_ID: "CJGongAn",
      ...envFromLinks(links),
    });

    const url = new URL(config.DATABASE_URL as string);
    expect([url.hostname, url.port, url.pathname, decodeURIComponent(url.password)]).toEqual([
      "db.internal",
      "5432",
      "/antifraud",
      "p@ss/word",
    ]);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(config.PII_ENCRYPTION_KEY).toBe(key(1));
    expect(config.QUEUE_URLS).toEqual(TEST_QUEUE_URLS);
    expect(config.local).toBe(false);
  });

  it("names the link that is missing", () => {
    const { PiiHashKey: _missing, ...rest } = links;
    expect(() => envFromLinks(rest)).toThrow(/PiiHashKey/);
  });

  it("gives the sending functions the gateway's API from the SmsHttpApi secret, and no one else", () => {
    const gateway = { url: "https://sms.example.cn/send", response: { messageIdPath: "data.msgId" } };
    const sending = loadConfig({
      SMS_CHANNEL: "http",
      ...envFromLinks({ ...links, SmsHttpApi: { value: JSON.stringify(gateway) } }),
    });
    expect(sending.SMS_HTTP_API?.url).toBe("https://sms.example.cn/send");
    expect(envFromLinks(links)).not.toHaveProperty("SMS_HTTP_API");
  });

  it.each([
    ["not JSON", "sqs://nope"],
    ["a queue without its URL", JSON.stringify({ "alert-push": TEST_QUEUE_URLS["alert-push"] })],
    ["a URL that is not one", JSON.stringify({ ...TEST_QUEUE_URLS, "alert-push": "alert-push" })],
  ])("refuses QUEUE_URLS that is %s, naming the key", (_case, value) => {
    expect(() => loadConfig({ QUEUE_URLS: value })).toThrow(/QUEUE_URLS/);
  });

  it("refuses a sender id SNS would reject", () => {
    expect(() => loadConfig({ SNS_SENDER_ID: "昌吉公安" })).toThrow(/SNS_SENDER_ID/);
    expect(() => loadConfig({ SNS_SENDER_ID: "123456" })).toThrow(/SNS_SENDER_ID/);
  });
});
