import type { Clock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { messageHandler } from "../../src/consumers";
import type { Deps } from "../../src/deps";
import { createApp } from "../../src/http/app";
import { createMetrics } from "../../src/http/metrics";
import { buildLocalDeps } from "../../src/local/deps";
import { createLog } from "../../src/log";
import { runBatch } from "../../src/queue/batch";
import type { PgTableQueue } from "../../src/queue/pg-queue";
import { signPayload } from "../../src/signature";
import { QUEUE_NAMES, QUEUES } from "../../src/topology";
import { freshDatabase } from "./db";
import { type Fixture, seedFixture, TEST_PASSWORD_HASH_COST } from "./fixture";

export const TEST_KEYS = { encryptionKey: Buffer.alloc(32, 7), hashKey: Buffer.alloc(32, 9) };

export interface TestContext {
  deps: Deps & { queue: PgTableQueue };
  app: ReturnType<typeof createApp>;
  fixture: Fixture;
  url?: string;
  /** Runs every queue's consumer until no visible message is left; returns how many were handled. */
  drain(): Promise<number>;
  /** POSTs a body to a feed, signed with the fixture source's secret (or the one given). */
  postWarnings(
    body: unknown,
    options?: { secret?: string; sourceId?: string; at?: number },
  ): Promise<Response>;
  login(username: string): Promise<string>;
}

export async function createTestContext(
  options: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<TestContext> {
  const { database, url } = await freshDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    OUTBOX_RECEIPT_DELAY_MS: "-1",
    // Cheap hashing is refused outside NODE_ENV=test: a context posing as production keeps production's cost.
    ...(options.env?.NODE_ENV && options.env.NODE_ENV !== "test"
      ? {}
      : { PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST) }),
    ...options.env,
  });
  const deps = buildLocalDeps({
    config,
    database,
    log: createLog(config.LOG_LEVEL),
    keys: TEST_KEYS,
    clock: options.clock,
  });
  const fixture = await seedFixture(deps);
  const app = createApp(deps, createMetrics(deps));
  const handle = messageHandler(deps);

  const drain = async () => {
    let handled = 0;
    for (let round = 0; round < 100; round++) {
      let claimedAny = false;
      for (const queue of QUEUE_NAMES) {
        const records = await deps.queue.claim(queue, QUEUES[queue].batchSize, 30);
        if (records.length === 0) continue;
        claimedAny = true;
        const result = await runBatch(records, handle, deps.log);
        await deps.queue.settle(records, result, QUEUES[queue].maxReceives);
        handled += records.length - result.failed.length;
      }
      if (!claimedAny) return handled;
    }
    throw new Error("queues did not drain in 100 rounds");
  };

  return {
    deps,
    app,
    fixture,
    url,
    drain,
    async postWarnings(body, opts = {}) {
      const raw = typeof body === "string" ? body : JSON.stringify(body);
      const at = opts.at ?? Math.floor((options.clock ?? { now: () => new Date() }).now().getTime() / 1000);
      return app.request(`/v1/feeds/${opts.sourceId ?? fixture.source.id}/warnings`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-signature": signPayload(opts.secret ?? fixture.source.secret, raw, at),
        },
        body: raw,
      });
    },
    async login(username) {
      const res = await app.request("/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password: fixture.password }),
      });
      if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    },
  };
}
