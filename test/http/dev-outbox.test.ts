import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox, smsEvents, smsMessages } from "../../schema";
import { newId } from "../../src/ids";
import { createTestContext, type TestContext } from "../support/context";
import { aWarning } from "../support/fixture";

type OutboxMessage = {
  id: string;
  to: string;
  purpose: string;
  alertId: string | null;
  body: string;
  segments: number;
  status: string;
  createdAt: string;
};
type Problem = { code: string; errors?: { path: string }[] };

const PRODUCTION_ENV = {
  NODE_ENV: "production",
  DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
  PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  PII_HASH_KEY: Buffer.alloc(32, 2).toString("base64"),
};

let subjects = 0;
/** Posts one warning for a subject of its own (so it opens its own alert) and pushes it. */
async function pushedAlert(ctx: TestContext, overrides: Record<string, unknown> = {}): Promise<string> {
  subjects += 1;
  const subject = { phone: `+86 138 ${String(subjects).padStart(8, "0")}` };
  const res = await ctx.postWarnings({ warnings: [aWarning({ subject, ...overrides })] });
  const alertId = ((await res.json()) as { results: { alertId: string }[] }).results[0]?.alertId as string;
  await ctx.drain();
  return alertId;
}

/** What @hono/node-server hands the app for a request whose peer is `address`. */
const peer = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

/** The outbox as `curl localhost:3000/...` on the machine running `npm start` reads it. */
async function getOutbox(ctx: TestContext, query = "") {
  return ctx.app.request(`/v1/dev/outbox${query}`, {}, peer("127.0.0.1"));
}

async function outbox(ctx: TestContext, query = ""): Promise<OutboxMessage[]> {
  const res = await getOutbox(ctx, query);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: OutboxMessage[] }).messages;
}

/** Outbox rows written straight to the table, oldest first, one second apart. */
async function outboxRows(ctx: TestContext, n: number) {
  const start = Date.parse("2026-11-28T00:00:00Z");
  const rows = Array.from({ length: n }, (_, i) => ({
    id: newId("outbox", start + i * 1000),
    messageId: `msg_row${String(i).padStart(4, "0")}`,
    toMasked: "138****8000",
    purpose: i % 2 === 0 ? "victim_warning" : "officer_notification",
    alertId: `alr_row${i % 3}`,
    body: "【昌吉公安】test",
    segments: 1,
    createdAt: new Date(start + i * 1000),
  }));
  await ctx.deps.db.insert(devOutbox).values(rows);
  return rows;
}

/**
 * Polls until `check` holds; simulated receipts arrive on a timer, not on request. The bound is generous: it
 * costs nothing when the receipt comes at once, and CI runs this beside browser suites on two cores (one
 * receipt took over 5 s there).
 */
async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("GET /v1/dev/outbox", () => {
  it("lists what each phone would have received, with exactly the documented fields", async () => {
    const ctx = await createTestContext();
    const alertId = await pushedAlert(ctx, { area: { code: "652301105201" } });

    const messages = await outbox(ctx);

    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(
        ["alertId", "body", "createdAt", "id", "purpose", "segments", "status", "to"].sort(),
      );
      expect(m).toMatchObject({ alertId, status: "submitted", id: expect.stringMatching(/^msg_/) });
      expect(m.to).toMatch(/^\d{3}\*{4}\d{4}$/);
      expect(new Date(m.createdAt).toISOString()).toBe(m.createdAt);
    }
    const [stored] = await ctx.deps.db
      .select()
      .from(smsMessages)
      .where(eq(smsMessages.purpose, "victim_warning"));
    expect(messages.find((m) => m.purpose === "victim_warning")).toMatchObject({
      id: stored?.id,
      body: stored?.body,
      segments: stored?.segments,
    });
    expect(messages.map((m) => m.purpose).sort()).toEqual(["officer_notification", "victim_warning"]);
  });

  it("lists the newest first", async () => {
    const ctx = await createTestContext();
    // One per post, so each officer's notification goes out at once (later ones to one officer may be bundled).
    const first = await pushedAlert(ctx, { area: { address: "庙工村" } });
    const second = await pushedAlert(ctx, { area: { address: "二工村" } });
    const third = await pushedAlert(ctx, { area: { address: "别处" } });

    const messages = await outbox(ctx);

    expect([...new Set(messages.map((m) => m.alertId))]).toEqual([third, second, first]);
    const times = messages.map((m) => Date.parse(m.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("filters by alertId and by purpose, together or alone", async () => {
    const ctx = await createTestContext();
    const one = await pushedAlert(ctx, { area: { address: "庙工村" } });
    const other = await pushedAlert(ctx, { area: { address: "二工村" } });

    const ofOne = await outbox(ctx, `?alertId=${one}`);
    const warnings = await outbox(ctx, "?purpose=victim_warning");
    const notificationsOfOther = await outbox(ctx, `?alertId=${other}&purpose=officer_notification`);

    expect(ofOne).toHaveLength(2);
    expect(ofOne.every((m) => m.alertId === one)).toBe(true);
    expect(warnings.map((m) => m.alertId)).toEqual([other, one]);
    expect(warnings.every((m) => m.purpose === "victim_warning")).toBe(true);
    expect(notificationsOfOther).toHaveLength(1);
    expect(notificationsOfOther[0]).toMatchObject({ alertId: other, purpose: "officer_notification" });
    expect(await outbox(ctx, "?alertId=alr_nothing_here")).toEqual([]);
  });

  it("returns 100 messages by default, as many as asked up to 1,000", async () => {
    const ctx = await createTestContext();
    const rows = await outboxRows(ctx, 120);
    const newestFirst = [...rows].reverse().map((r) => r.messageId);

    const byDefault = await outbox(ctx);
    const five = await outbox(ctx, "?limit=5");
    const max = await outbox(ctx, "?limit=1000");

    expect(byDefault.map((m) => m.id)).toEqual(newestFirst.slice(0, 100));
    expect(five.map((m) => m.id)).toEqual(newestFirst.slice(0, 5));
    expect(max).toHaveLength(120);
  });

  it.each([
    ["a limit over 1,000", "?limit=1001", "limit"],
    ["a limit of 0", "?limit=0", "limit"],
    ["a limit that is not a number", "?limit=lots", "limit"],
    ["a fractional limit", "?limit=2.5", "limit"],
    ["an unknown purpose", "?purpose=marketing", "purpose"],
  ])("answers %s with 400 problem+json naming the field", async (_name, query, field) => {
    const ctx = await createTestContext();

    const res = await getOutbox(ctx, query);

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors?.map((e) => e.path)).toEqual([field]);
  });

  it("does not exist in production", async () => {
    const ctx = await createTestContext({ env: PRODUCTION_ENV });
    await outboxRows(ctx, 1);

    const res = await getOutbox(ctx);

    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.text()).not.toContain("msg_row");
  });

  describe("access", () => {
    it("answers a caller on this machine without credentials while the server listens on loopback", async () => {
      const ctx = await createTestContext();
      await outboxRows(ctx, 1);

      for (const address of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
        const res = await ctx.app.request("/v1/dev/outbox", {}, peer(address));
        expect(res.status, address).toBe(200);
      }
    });

    it.each([
      ["a caller on the network", {}, peer("192.168.1.20")],
      ["a caller whose address is unknown", {}, undefined],
      [
        "a loopback caller while the server listens on every interface",
        { HOST: "0.0.0.0" },
        peer("127.0.0.1"),
      ],
    ])("refuses %s without an admin's session, showing no message", async (_name, env, bindings) => {
      const ctx = await createTestContext({ env });
      await outboxRows(ctx, 1);

      const res = await ctx.app.request("/v1/dev/outbox", {}, bindings);

      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const text = await res.text();
      expect(text).toContain("UNAUTHENTICATED");
      expect(text).not.toContain("msg_row");
    });

    it("lets an admin read it from the network (bearer token or console cookie), and no one else", async () => {
      const ctx = await createTestContext({ env: { HOST: "0.0.0.0" } });
      await outboxRows(ctx, 1);
      const from = peer("192.168.1.20");
      const as = async (username: string, how: "bearer" | "cookie" = "bearer") => {
        const token = await ctx.login(username);
        const headers: Record<string, string> =
          how === "bearer" ? { authorization: `Bearer ${token}` } : { cookie: `af_session=${token}` };
        return ctx.app.request("/v1/dev/outbox", { headers }, from);
      };

      expect((await as("admin")).status).toBe(200);
      expect((await as("admin", "cookie")).status).toBe(200);
      for (const username of ["miaogong", "supervisor"]) {
        const res = await as(username);
        expect(res.status, username).toBe(403);
        expect(await res.text()).not.toContain("msg_row");
      }
    });

    it("serves a real loopback connection without credentials (the README's curl, npm run demo:warning)", async () => {
      const ctx = await createTestContext();
      await outboxRows(ctx, 1);
      const server = serve({ fetch: ctx.app.fetch, port: 0, hostname: "127.0.0.1" });
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const res = await fetch(`http://127.0.0.1:${port}/v1/dev/outbox`);
        expect(res.status).toBe(200);
        expect(await res.text()).toContain("msg_row");
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe("simulated delivery receipts", () => {
    it("marks each message delivered after OUTBOX_RECEIPT_DELAY_MS and records the event", async () => {
      const ctx = await createTestContext({ env: { OUTBOX_RECEIPT_DELAY_MS: "20" } });
      const alertId = await pushedAlert(ctx);

      // The outbox row turns delivered when the simulated phone answers; the message once the engine has
      // taken the receipt, a moment later.
      const rows = await eventually(
        () => ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, alertId)),
        (ms) => ms.length === 2 && ms.every((m) => m.status === "delivered"),
      );
      const messages = await outbox(ctx, `?alertId=${alertId}`);

      expect(messages.map((m) => m.status)).toEqual(["delivered", "delivered"]);
      expect(rows.map((m) => m.status)).toEqual(["delivered", "delivered"]);
      for (const { id } of messages) {
        const [message] = await ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.id, id));
        expect(message?.finishedAt).toBeInstanceOf(Date);
        const events = await ctx.deps.db
          .select()
          .from(smsEvents)
          .where(eq(smsEvents.messageId, id))
          .orderBy(smsEvents.id);
        expect(events.map((e) => e.status)).toEqual(["queued", "submitted", "delivered"]);
      }
    });

    it("marks each message failed when the simulated failure rate is 1", async () => {
      const ctx = await createTestContext({
        env: { OUTBOX_RECEIPT_DELAY_MS: "20", OUTBOX_FAILURE_RATE: "1" },
      });
      const alertId = await pushedAlert(ctx);

      const rows = await eventually(
        () => ctx.deps.db.select().from(smsMessages).where(eq(smsMessages.alertId, alertId)),
        (ms) => ms.length === 2 && ms.every((m) => m.status === "failed"),
      );
      const messages = await outbox(ctx, `?alertId=${alertId}`);

      expect(messages.map((m) => m.status)).toEqual(["failed", "failed"]);
      expect(rows.map((r) => r.status)).toEqual(["failed", "failed"]);
    });

    it("sends no receipt when simulation is off", async () => {
      const ctx = await createTestContext({ env: { OUTBOX_RECEIPT_DELAY_MS: "-1" } });
      const alertId = await pushedAlert(ctx);
      await new Promise((r) => setTimeout(r, 200));

      const messages = await outbox(ctx, `?alertId=${alertId}`);

      expect(messages.map((m) => m.status)).toEqual(["submitted", "submitted"]);
    });
  });
});
