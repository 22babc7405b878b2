import { count } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { warnings } from "../../schema";
import { signPayload } from "../../src/signature";
import { warmDatabase } from "../parcels/support";
import { createTestContext } from "../support/context";
import { aWarning } from "../support/fixture";

/**
 * Issue 10, items 5 and 8: every request body is bounded before anything reads it — in size, by a limit that
 * fits its route (413), and in depth (400) — on every route, signed, keyed or not authenticated at all.
 */

beforeAll(warmDatabase);

type Problem = { code: string; status: number; errors?: { path: string; message: string }[] };

const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

describe("deeply nested JSON", () => {
  // The depth an attacker can fit in the 1 MiB batch routes accept, and a modest one in a small body.
  it.each([
    ["intake, unsigned", "/v1/feeds/src_platform/warnings"],
    ["delivery receipts, unauthenticated", "/v1/partners/par_nobody/delivery-receipts"],
    ["inbound SMS, unauthenticated", "/v1/sms/inbound"],
    ["login", "/v1/auth/login"],
  ])("on %s answers 400 naming the body, never a 500", async (_name, path) => {
    const ctx = await createTestContext();
    // Login takes 4 KiB at most: deeper than that is a 413 before it is a 400.
    for (const levels of path === "/v1/auth/login" ? [40, 1500] : [40, 1500, 400_000]) {
      const body = `{"zz":${deep(levels)}}`;
      const res = await ctx.app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const problem = (await res.json()) as Problem;
      expect(res.status, `${levels} levels`).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors?.[0]?.path).toBe("(body)");
    }
  });

  it("a signed batch nested inside one warning is refused before any of it is stored", async () => {
    const ctx = await createTestContext();
    const raw = `{"warnings":[${JSON.stringify(aWarning())},{"extra":${deep(200_000)}}]}`;
    const at = Math.floor(Date.now() / 1000);
    const res = await ctx.app.request(`/v1/feeds/${ctx.fixture.source.id}/warnings`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature": signPayload(ctx.fixture.source.secret, raw, at),
      },
      body: raw,
    });
    expect(res.status).toBe(400);
    const [row] = await ctx.deps.db.select({ n: count() }).from(warnings);
    expect(row?.n).toBe(0);
  });

  it("JSON up to the allowed depth still works", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({ warnings: [aWarning({ extra: JSON.parse(deep(25)) })] });
    expect(res.status).toBe(202);
  });
});

describe("body size limits per route", () => {
  it.each([
    ["login (4 KiB)", "POST", "/v1/auth/login", 5 * 1024],
    ["password change (4 KiB)", "POST", "/v1/auth/password", 5 * 1024],
    ["creating a post (64 KiB)", "POST", "/v1/posts", 65 * 1024],
    ["renaming a post (64 KiB)", "PATCH", "/v1/posts/pst_ergong", 65 * 1024],
    ["a campaign (64 KiB)", "POST", "/v1/campaigns", 65 * 1024],
    ["intake (1 MiB)", "POST", "/v1/feeds/src_platform/warnings", 1024 * 1024 + 1],
    ["inbound SMS (1 MiB)", "POST", "/v1/sms/inbound", 1024 * 1024 + 1],
    ["the console login form (4 KiB)", "POST", "/console/login", 5 * 1024],
  ])("%s answers 413 problem+json over its limit", async (_name, method, path, bytes) => {
    const ctx = await createTestContext();
    const form = path.startsWith("/console");
    const body = form ? `username=${"x".repeat(bytes)}` : JSON.stringify({ username: "x".repeat(bytes) });
    const res = await ctx.app.request(path, {
      method,
      headers: {
        "content-type": form ? "application/x-www-form-urlencoded" : "application/json",
        origin: "http://localhost",
      },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as Problem).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("counts a body sent without Content-Length (chunked) and stops it at the limit", async () => {
    const ctx = await createTestContext();
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        if (sent > 64) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await ctx.app.request("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(64);
  });

  it("a batch under its limit still goes through", async () => {
    const ctx = await createTestContext();
    const res = await ctx.postWarnings({
      warnings: Array.from({ length: 1000 }, () => aWarning({ subject: { phone: "+86 139 0013 9000" } })),
    });
    expect(res.status).toBe(202);
  });
});
