/**
 * Signs and posts one warning to the local runtime, as an upstream platform would, then shows the SMS
 * it produced. Usage: npm run demo:warning [-- <phone> <address>]
 */
import { readFileSync } from "node:fs";
import { signPayload } from "../src/signature";

const credentials = JSON.parse(
  readFileSync(`${process.env.DATA_DIR ?? ".data"}/demo-credentials.json`, "utf8"),
) as {
  baseUrl: string;
  feedSource: { id: string; secret: string };
  officers: { username: string; role: string; password: string }[];
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
  const outboxUrl = `${credentials.baseUrl}/v1/dev/outbox?alertId=${alertId}`;
  let outbox = await fetch(outboxUrl);
  // The outbox opens without credentials only to this machine while the server listens on loopback (the
  // default); with HOST set to another address it takes an admin's session, so log in as the demo admin.
  if (outbox.status === 401) {
    outbox = await fetch(outboxUrl, { headers: { authorization: `Bearer ${await adminToken()}` } });
  }
  console.log(JSON.stringify(await outbox.json(), null, 2));
}

async function adminToken(): Promise<string> {
  const admin = credentials.officers.find((o) => o.role === "admin");
  if (!admin) throw new Error("no admin in the demo credentials");
  const login = await fetch(`${credentials.baseUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: admin.username, password: admin.password }),
  });
  if (login.status !== 200) throw new Error(`demo admin login failed: ${login.status} ${await login.text()}`);
  return ((await login.json()) as { token: string }).token;
}
