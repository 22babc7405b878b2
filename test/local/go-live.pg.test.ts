import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signPayload } from "../../src/signature";
import { emptyPostgresDatabase } from "../support/db";

/**
 * Issue 15, as a station's administrator goes live (deploy/README.md): build, `setup` on an empty PostgreSQL,
 * a production start with the HTTP SMS channel pointed at a gateway stub, the admin's first login and forced
 * password change, a feed source, a signed warning, the victim's SMS at the gateway, a backup and a restore
 * the server starts on. Every command is the built JavaScript run with plain node, as systemd runs it.
 * `scripts/go-live-check.sh` runs this file alone; CI runs it first (.ci/run).
 */
const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const STEP_TIMEOUT_MS = 90_000;
const VICTIM = "+8613812345678";
const ADMIN_PASSWORD = "a-long-passphrase-of-zhang";

interface GatewaySms {
  to: string;
  text: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** SIGTERM as systemd stops it, SIGKILL if it has not drained in ten seconds. */
async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The domestic gateway, as far as our HTTP channel sees it: it takes an SMS and answers its id. */
async function gatewayStub(): Promise<{ url: string; received: GatewaySms[] }> {
  const received: GatewaySms[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      received.push(JSON.parse(body) as GatewaySms);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: `gw-${received.length}` }));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  cleanups.push(
    () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`, received };
}

/** What the environment file holds, and nothing of vitest's own environment. */
function stationEnv(databaseUrl: string, gatewayUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    PII_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    PII_HASH_KEY: randomBytes(32).toString("base64"),
    HOST: "127.0.0.1",
    PORT: "0",
    TRUSTED_PROXIES: "127.0.0.1",
    BASE_URL: "https://alerts.example.cn",
    SMS_CHANNEL: "http",
    SMS_HTTP_API: JSON.stringify({ url: gatewayUrl, response: { messageIdPath: "id" } }),
    LOG_LEVEL: "info",
  };
}

/** `node dist/<command>.js`, resolving to its output; a failure rejects with its stderr. */
async function command(env: NodeJS.ProcessEnv, name: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [`dist/${name}.js`, ...args], { cwd: ROOT, env });
  return stdout;
}

/** `npm run start:prod`; resolves with the start-up line once the server says it is running. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; line: Record<string, unknown> }> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((done) => child.once("exit", done));
  cleanups.push(() => stop(child, exited));
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (l) => stderr.push(l));
  const line = await new Promise<Record<string, unknown>>((ready, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no start in time\n${stderr.join("\n")}`)),
      STEP_TIMEOUT_MS,
    );
    child.once("exit", (code) => fail(new Error(`server exited with ${code}\n${stderr.join("\n")}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
      if (!text.startsWith("{")) return;
      const record = JSON.parse(text) as Record<string, unknown>;
      if (record.msg === "antifraud-alerts running") {
        clearTimeout(timer);
        ready(record);
      }
    });
  });
  return { url: `http://127.0.0.1:${line.port}`, line };
}

async function api(
  url: string,
  path: string,
  init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${url}${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("going live on a station server", () => {
  beforeAll(async () => {
    await run(process.execPath, ["--import", "tsx", "scripts/build.ts"], { cwd: ROOT });
  }, STEP_TIMEOUT_MS);

  it("takes an empty PostgreSQL to a station texting a victim, and backs it up into a database that serves it", async () => {
    const database = await emptyPostgresDatabase("golive");
    cleanups.push(database.drop);
    const gateway = await gatewayStub();
    const env = stationEnv(database.url, gateway.url);

    // Setup: station, duty desk, admin with a one-time password.
    const setup = await command(env, "setup", [
      "--station",
      "三工派出所",
      "--signature",
      "【昌吉公安】",
      "--admin",
      "zhang.admin",
      "--admin-phone",
      "13800138000",
    ]);
    const oneTime = /one-time password\s+(\S+)/.exec(setup)?.[1] as string;
    expect(oneTime).toMatch(/^[\w-]{24}$/);

    // Production start, saying in one line what it runs with.
    const server = await startServer(env);
    expect(server.line).toMatchObject({
      database: expect.stringMatching(/^postgres 127\.0\.0\.1:5432\/.*golive/),
      sms: `http ${new URL(gateway.url).host}`,
      workers: "all",
      publicUrl: "https://alerts.example.cn",
      listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });

    // First login: nothing but the password change until the admin picks their own.
    const first = await api(server.url, "/v1/auth/login", {
      body: { username: "zhang.admin", password: oneTime },
    });
    expect(first.body.passwordChangeRequired).toBe(true);
    const firstToken = first.body.token as string;
    expect((await api(server.url, "/v1/feed-sources", { token: firstToken })).body.code).toBe(
      "PASSWORD_CHANGE_REQUIRED",
    );
    const change = await api(server.url, "/v1/auth/password", {
      token: firstToken,
      body: { currentPassword: oneTime, newPassword: ADMIN_PASSWORD },
    });
    expect(change.status).toBe(204);
    const login = await api(server.url, "/v1/auth/login", {
      body: { username: "zhang.admin", password: ADMIN_PASSWORD },
    });
    expect(login.body.passwordChangeRequired).toBe(false);
    const token = login.body.token as string;

    // The upstream platform's feed, and a warning it signs.
    const created = await api(server.url, "/v1/feed-sources", {
      token,
      body: { name: "昌吉市反诈中心预警平台", callbackUrl: null },
      headers: { "idempotency-key": "golive-feed-1" },
    });
    expect(created.status).toBe(201);
    const sourceId = (created.body.source as { id: string }).id;
    const warning = JSON.stringify({
      warnings: [
        {
          externalId: "YJ-GOLIVE-1",
          type: "call",
          fraudType: "fake_customer_service",
          riskLevel: "high",
          subject: { phone: VICTIM, name: "王某" },
          area: { code: "652301", address: "昌吉市三工镇庙工村七组" },
          indicators: [{ kind: "phone", value: "+8617012345678" }],
          detectedAt: new Date().toISOString(),
        },
      ],
    });
    const posted = await fetch(`${server.url}/v1/feeds/${sourceId}/warnings`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature": signPayload(created.body.secret as string, warning, Math.floor(Date.now() / 1000)),
      },
      body: warning,
    });
    expect(posted.status).toBe(202);

    // The victim's warning SMS reaches the gateway, with the signature setup stored.
    const sms = await until("the victim SMS at the gateway", () =>
      gateway.received.find((m) => m.to === VICTIM),
    );
    expect(sms.text.startsWith("【昌吉公安】")).toBe(true);

    // Backup, restore into a new database, and the server there shows the same alert.
    const backups = mkdtempSync(join(tmpdir(), "af-golive-"));
    cleanups.push(async () => rmSync(backups, { recursive: true, force: true }));
    const backup = await command(env, "backup", [backups]);
    expect(backup).toContain("PII_ENCRYPTION_KEY");
    const file = /written to (\S+\.dump)/.exec(backup)?.[1] as string;
    const restored = await emptyPostgresDatabase("golive_restored");
    cleanups.push(restored.drop);
    await command(env, "restore", [file, restored.url]);
    const before = await api(server.url, "/v1/alerts", { token });
    const again = await startServer({ ...env, DATABASE_URL: restored.url, WORKERS: "none" });
    const after = await api(again.url, "/v1/auth/login", {
      body: { username: "zhang.admin", password: ADMIN_PASSWORD },
    });
    const listed = await api(again.url, "/v1/alerts", { token: after.body.token as string });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual(before.body);
    expect(JSON.stringify(listed.body)).toContain("138****5678");
  });
});
