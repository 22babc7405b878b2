import { createServer } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/open";
import { isDatabaseUnavailable } from "../../src/db/unavailable";
import { createApp } from "../../src/http/app";
import { buildLocalDeps } from "../../src/local/deps";
import { createLog } from "../../src/log";
import { signPayload } from "../../src/signature";
import type { Problem } from "../support/alerts";
import { createTestContext, TEST_KEYS, type TestContext } from "../support/context";
import { TEST_DB } from "../support/db";
import { aWarning } from "../support/fixture";

/** A port on this machine nothing listens on: taken from the OS, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The requests a feed, a partner, an officer and a load balancer make, against an app whose database is gone. */
async function expectEveryDoorAnswers503(ctx: TestContext, app: ReturnType<typeof createApp>, token: string) {
  const body = JSON.stringify({ warnings: [aWarning()] });
  const now = Math.floor(Date.now() / 1000);
  const requests: [string, RequestInit][] = [
    ["/healthz", {}],
    [
      `/v1/feeds/${ctx.fixture.source.id}/warnings`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": signPayload(ctx.fixture.source.secret, body, now),
        },
        body,
      },
    ],
    [
      "/v1/auth/login",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "miaogong", password: ctx.fixture.password }),
      },
    ],
    ["/v1/alerts", { headers: { authorization: `Bearer ${token}` } }],
  ];
  for (const [path, init] of requests) {
    const res = await app.request(path, init);
    expect(res.status, path).toBe(503);
    expect(res.headers.get("content-type"), path).toBe("application/problem+json");
    expect(Number(res.headers.get("retry-after")), path).toBeGreaterThan(0);
    const problem = (await res.json()) as Problem;
    expect(problem.code, path).toBe("UNAVAILABLE");
  }
}

describe("a database outage", () => {
  it("answers 503 with Retry-After on every route when the database server cannot be reached", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("miaogong");
    // The same app, its database a server that is not there (refused connections), as when PostgreSQL is down.
    const unreachable = await openDatabase({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/x` });
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" });
    const deps = buildLocalDeps({ config, database: unreachable, log: createLog("silent"), keys: TEST_KEYS });
    try {
      await expectEveryDoorAnswers503(ctx, createApp(deps), token);
    } finally {
      await unreachable.close();
    }
  });

  it("answers 503 with Retry-After on every route once the database was closed", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("miaogong");
    // A database of this project's kind, opened and then closed under the app, as when the process stops.
    // (The test context's own database is a lease on the worker's shared one, which close() only gives back.)
    const closed =
      TEST_DB === "postgres"
        ? await openDatabase({ url: ctx.url as string, max: 1 })
        : await openDatabase({ pglite: await PGlite.create() });
    const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" });
    const deps = buildLocalDeps({ config, database: closed, log: createLog("silent"), keys: TEST_KEYS });
    await closed.close();

    await expectEveryDoorAnswers503(ctx, createApp(deps), token);
  });
});

describe("isDatabaseUnavailable", () => {
  const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1"), { cause });
  it.each([
    ["refused", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })],
    [
      "refused on every address",
      new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })], "connect"),
    ],
    [
      "postgres.js closed, wrapped by drizzle",
      wrapped(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" })),
    ],
    ["connect timeout", Object.assign(new Error("x"), { code: "CONNECT_TIMEOUT" })],
    ["too many connections", wrapped(Object.assign(new Error("sorry, too many clients"), { code: "53300" }))],
    ["admin shutdown", Object.assign(new Error("terminating connection"), { code: "57P01" })],
    ["starting up", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["connection failure", Object.assign(new Error("x"), { code: "08006" })],
    ["PGlite closed", wrapped(new Error("PGlite is closed"))],
  ])("says yes for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", wrapped(Object.assign(new Error("duplicate key"), { code: "23505" }))],
    ["a syntax error", Object.assign(new Error("syntax error"), { code: "42601" })],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["not an error", "ECONNREFUSED"],
  ])("says no for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
