import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { busiestSecond } from "../../bench/busiest-second";
import { queryRows } from "../../src/db/client";
import { countSegments } from "../../src/sms/dispatch/segments";
import { createTestContext, TEST_KEYS } from "../support/context";
import { aPartner } from "../support/partners";
import {
  dropRateGrantLogs,
  gatewayApi,
  logRateGrants,
  migrateOnceBeforeAll,
  queueTestSms,
} from "../support/sms";

afterEach(dropRateGrantLogs);

migrateOnceBeforeAll();

const WORKERS = 3;
const GLOBAL = { rate: 50, burst: 10 };
const PARTNER = { rate: 30, burst: 6 }; // the engine's default burst: a fifth of a second's rate
const PER_PARTNER = 150;

interface Arrival {
  at: number;
  parts: number;
  outId: string;
  worker: string;
}

/** The provider: a real HTTP server (the workers are other processes, out of msw's reach) that records. */
async function recordingGateway(): Promise<{ server: Server; url: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => {
      raw += chunk;
    });
    req.on("end", () => {
      const body = JSON.parse(raw) as { outId: string; content: string; worker: string };
      arrivals.push({
        at: performance.now(),
        parts: countSegments(body.content),
        outId: body.outId,
        worker: body.worker,
      });
      setTimeout(
        () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: "OK", data: { msgId: `gw-${body.outId}` } }));
        },
        5 + Math.random() * 10,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, arrivals };
}

const children: ChildProcess[] = [];
let gatewayServer: Server | undefined;
afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
  await new Promise<void>((resolve) => (gatewayServer ? gatewayServer.close(() => resolve()) : resolve()));
  gatewayServer = undefined;
});

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/sms-worker.ts"], {
    // Not the test runner's environment: vitest sets variables (BASE_URL among them) our config reads.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let errors = "";
  child.stderr?.on("data", (chunk) => {
    errors += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve(child);
    });
    child.once("exit", (code) =>
      reject(new Error(`worker exited with ${code} before it was ready: ${errors}`)),
    );
  });
}

describe("the shared limiter across processes", () => {
  // PGlite is an in-process database that other processes cannot open: this file runs only on PostgreSQL
  // (vitest.config.ts).
  it("keeps several worker processes within the global and per-partner rates in every one-second window", async () => {
    const gateway = await recordingGateway();
    gatewayServer = gateway.server;
    const limits = {
      SMS_GLOBAL_PARTS_PER_SECOND: JSON.stringify({ http: GLOBAL.rate }),
      SMS_GLOBAL_BURST: JSON.stringify({ http: GLOBAL.burst }),
      // Four processes on a shared 2-core test machine: sends leave up to 100 ms apart from their grants.
      SMS_SEND_JITTER_MS: "100",
    };
    const api = (worker: string) =>
      JSON.stringify(
        gatewayApi({ url: gateway.url, auth: { type: "none" }, extra: { worker }, timeoutMs: 5_000 }),
      );
    const ctx = await createTestContext({
      env: { SMS_CHANNEL: "http", SMS_HTTP_API: api("test"), ...limits },
    });
    const a = await aPartner(ctx, { partsPerSecond: PARTNER.rate });
    const b = await aPartner(ctx, { partsPerSecond: PARTNER.rate });
    const log = await logRateGrants(ctx);

    await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        startWorker({
          NODE_ENV: "test",
          LOG_LEVEL: "warn",
          DATABASE_URL: ctx.url as string,
          PII_ENCRYPTION_KEY: TEST_KEYS.encryptionKey.toString("base64"),
          PII_HASH_KEY: TEST_KEYS.hashKey.toString("base64"),
          SMS_CHANNEL: "http",
          SMS_HTTP_API: api(`w${i}`),
          ...limits,
        }),
      ),
    );

    // One in five reminders is long enough to take two parts.
    const long = `【昌吉公安】${"警惕冒充快递客服以理赔为由索要验证码的诈骗，".repeat(3)}拒收请回复R`;
    const partnerOf = new Map<string, string>();
    for (const partner of [a, b]) {
      const ids = await queueTestSms(
        ctx,
        Array.from({ length: PER_PARTNER }, (_, i) => ({
          to: `+86137${partner === a ? "1" : "2"}000${String(i).padStart(4, "0")}`,
          partnerId: partner.id,
          ...(i % 5 === 0 ? { body: long } : {}),
        })),
      );
      for (const id of ids) partnerOf.set(id, partner.id);
    }

    const deadline = performance.now() + 90_000;
    for (;;) {
      const [row] = await queryRows<{ left: number }>(
        ctx.deps.db,
        sql`select count(*)::int as left from sms_messages where status = 'queued'`,
      );
      if (row?.left === 0) break;
      if (performance.now() > deadline) throw new Error(`${row?.left} SMS still queued after 90 s`);
      await sleep(200);
    }

    const { arrivals } = gateway;
    expect(arrivals).toHaveLength(2 * PER_PARTNER);
    // Several processes really competed for the same limiter. Not necessarily all three: a process claims
    // whole queue batches (200 SMS across its loops), so which processes get work is a race.
    const busyWorkers = Array.from({ length: WORKERS }, (_, i) => `w${i}`).filter(
      (w) => arrivals.filter((x) => x.worker === w).length > PER_PARTNER / 10,
    );
    expect(busyWorkers.length).toBeGreaterThanOrEqual(2);
    // Every SMS that arrived was granted once by the one limiter all the processes share.
    const global = await log.grants("ch:http", GLOBAL.rate);
    expect(global).toHaveLength(arrivals.length);
    const busiest = busiestSecond(global).parts;
    expect(busiest).toBeLessThanOrEqual(GLOBAL.rate + GLOBAL.burst);
    for (const partner of [a, b]) {
      const mine = await log.grants(`par:${partner.id}`, PARTNER.rate);
      expect(mine).toHaveLength(PER_PARTNER);
      expect(busiestSecond(mine).parts).toBeLessThanOrEqual(PARTNER.rate + PARTNER.burst);
    }
    // And the limit was reached, so holding it meant something. (The sustained rate is the benchmark's
    // business, bench/sms.ts: on a shared test machine it says more about the machine than the limiter.)
    expect(busiest).toBeGreaterThanOrEqual(0.8 * GLOBAL.rate);
  }, 150_000);
});
