/**
 * Signs and posts one warning to the local runtime, as an upstream platform would, then shows the SMS
 * it produced. Usage: npm run demo:warning [-- <phone> <address>]
 */
import { readFileSync } from "node:fs";
import { signPayload } from "../src/feeds/signature";

const credentials = JSON.parse(
  readFileSync(`${process.env.DATA_DIR ?? ".data"}/demo-credentials.json`, "utf8"),
) as {
  baseUrl: string;
  feedSource: { id: string; secret: string };
};
const [phone = "138 0013 8000", address = "三工镇庙工村七组"] = process.argv.slice(2);

const body = JSON.stringify({
  warnings: [
    {
      externalId: `YJ-${Date.now()}`,
      type: "call",
      fraudType: "fake_customer_service",
      riskLevel: "high",
      subject: { phone, name: "王某" },
      area: { code: "652301", address },
      indicators: [{ kind: "phone", value: "+8617012345678" }],
      detectedAt: new Date().toISOString(),
      amountAtRisk: 5000000,
    },
  ],
});
const url = `${credentials.baseUrl}/v1/feeds/${credentials.feedSource.id}/warnings`;
const response = await fetch(url, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "x-signature": signPayload(credentials.feedSource.secret, body, Math.floor(Date.now() / 1000)),
  },
  body,
});
const result = (await response.json()) as { results?: { alertId?: string }[] };
console.log(response.status, JSON.stringify(result));

const alertId = result.results?.[0]?.alertId;
if (alertId) {
  await new Promise((r) => setTimeout(r, 1000));
  const outbox = await fetch(`${credentials.baseUrl}/v1/dev/outbox?alertId=${alertId}`);
  console.log(JSON.stringify(await outbox.json(), null, 2));
}
