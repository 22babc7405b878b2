import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loginThrottle, sessions } from "../../schema";
import { createApp } from "../../src/http/app";
import type { Problem } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

function loginRequest(ctx: TestContext, username: string, password: string, app = ctx.app) {
  return app.request("/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
}

/** The session token from a login response's Set-Cookie, checking the attributes the console relies on. */
function sessionCookie(res: Response): { token: string; attributes: string } {
  const header = res.headers.get("set-cookie") ?? "";
  const match = header.match(/^af_session=([^;]+);(.*)$/);
  if (!match) throw new Error(`no af_session cookie in ${header}`);
  return { token: match[1] as string, attributes: match[2] as string };
}

const withCookie = (token: string) => ({ headers: { cookie: `af_session=${token}` } });
const withBearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("POST /v1/auth/login", () => {
  it("answers a bearer token and sets the same session as an HttpOnly, SameSite=Strict cookie", async () => {
    const ctx = await createTestContext();

    const res = await loginRequest(ctx, "miaogong", ctx.fixture.password);

    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const cookie = sessionCookie(res);
    expect(cookie.token).toBe(token);
    expect(cookie.attributes).toMatch(/HttpOnly/);
    expect(cookie.attributes).toMatch(/SameSite=Strict/);
    expect(cookie.attributes).toMatch(/Path=\//);
    // Local mode serves plain http://localhost, where a Secure cookie would never come back.
    expect(cookie.attributes).not.toMatch(/Secure/);
    expect((await ctx.app.request("/v1/alerts", withCookie(token))).status).toBe(200);
    expect((await ctx.app.request("/v1/alerts", withBearer(token))).status).toBe(200);
  });

  it("marks the cookie Secure outside local mode", async () => {
    const key = Buffer.alloc(32, 1).toString("base64");
    const ctx = await createTestContext({
      env: {
        NODE_ENV: "production",
        DATABASE_URL: "postgres://unused.invalid/db",
        PII_ENCRYPTION_KEY: key,
        PII_HASH_KEY: key,
      },
    });

    const res = await loginRequest(ctx, "miaogong", ctx.fixture.password);

    expect(res.status).toBe(200);
    expect(sessionCookie(res).attributes).toMatch(/Secure/);
  });

  it("never puts the password in the answer to a failed login", async () => {
    const ctx = await createTestContext();
    const res = await loginRequest(ctx, "miaogong", "hunter2-wrong-password");
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("hunter2");
  });
});

describe("sessions", () => {
  it("end at logout: the cookie is cleared and the token no longer works", async () => {
    const ctx = await createTestContext();
    const { token } = sessionCookie(await loginRequest(ctx, "miaogong", ctx.fixture.password));

    const res = await ctx.app.request("/v1/auth/logout", { method: "POST", ...withCookie(token) });

    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/^af_session=;.*Max-Age=0/);
    expect((await ctx.app.request("/v1/alerts", withCookie(token))).status).toBe(401);
    expect((await ctx.app.request("/v1/alerts", withBearer(token))).status).toBe(401);
    expect(await ctx.deps.db.select().from(sessions).where(eq(sessions.officerId, "off_miaogong"))).toEqual(
      [],
    );
  });

  it("end at logout with a bearer token too, leaving the officer's other sessions alone", async () => {
    const ctx = await createTestContext();
    const phone = await ctx.login("miaogong");
    const browser = await ctx.login("miaogong");

    expect((await ctx.app.request("/v1/auth/logout", { method: "POST", ...withBearer(phone) })).status).toBe(
      204,
    );

    expect((await ctx.app.request("/v1/alerts", withBearer(phone))).status).toBe(401);
    expect((await ctx.app.request("/v1/alerts", withBearer(browser))).status).toBe(200);
  });

  it("logging out twice, or without a session, is fine", async () => {
    const ctx = await createTestContext();
    const token = await ctx.login("miaogong");
    await ctx.app.request("/v1/auth/logout", { method: "POST", ...withBearer(token) });

    expect((await ctx.app.request("/v1/auth/logout", { method: "POST", ...withBearer(token) })).status).toBe(
      204,
    );
    expect((await ctx.app.request("/v1/auth/logout", { method: "POST" })).status).toBe(204);
  });

  it("expire after SESSION_TTL_HOURS", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock, env: { SESSION_TTL_HOURS: "8" } });
    const token = await ctx.login("miaogong");

    clock.advanceMinutes(8 * 60 - 1);
    expect((await ctx.app.request("/v1/alerts", withCookie(token))).status).toBe(200);
    clock.advanceMinutes(1);
    const res = await ctx.app.request("/v1/alerts", withCookie(token));

    expect(res.status).toBe(401);
    expect(((await res.json()) as Problem).code).toBe("UNAUTHENTICATED");
  });
});

describe("repeated failed logins", () => {
  async function fail(ctx: TestContext, times: number, username = "miaogong") {
    for (let i = 0; i < times; i++) {
      const res = await loginRequest(ctx, username, `wrong-${i}`);
      expect(res.status, `failure ${i + 1}`).toBe(401);
    }
  }

  it("are refused with 429 and Retry-After after five, even with the right password, until the block ends", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await fail(ctx, 5);

    const blocked = await loginRequest(ctx, "miaogong", ctx.fixture.password);

    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as Problem).code).toBe("RATE_LIMITED");
    expect(blocked.headers.get("retry-after")).toBe("30");
    clock.advance(29_000);
    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(429);
    clock.advance(1_000);
    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(200);
  });

  it("block for longer each further time", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await fail(ctx, 5);
    const retryAfter = async () =>
      (await loginRequest(ctx, "miaogong", ctx.fixture.password)).headers.get("retry-after");

    expect(await retryAfter()).toBe("30");
    clock.advance(30_000);
    await fail(ctx, 1);
    expect(await retryAfter()).toBe("60");
    clock.advance(60_000);
    await fail(ctx, 1);
    expect(await retryAfter()).toBe("120");
  });

  it("are forgiven by a successful login", async () => {
    const ctx = await createTestContext();
    await fail(ctx, 4);
    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(200);

    await fail(ctx, 4);

    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(200);
  });

  it("count only within the window", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await fail(ctx, 4);
    clock.advanceMinutes(16);

    await fail(ctx, 4);

    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(200);
  });

  it("are counted in the database, so every server process sees the same count", async () => {
    const ctx = await createTestContext();
    const otherProcess = createApp(ctx.deps);
    await fail(ctx, 3);
    for (let i = 0; i < 2; i++)
      expect((await loginRequest(ctx, "miaogong", "nope", otherProcess)).status).toBe(401);

    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(429);
    const [row] = await ctx.deps.db
      .select()
      .from(loginThrottle)
      .where(eq(loginThrottle.key, "user:miaogong"));
    expect(row?.failures).toBe(5);
  });

  it("slow down guesses at usernames that do not exist, so the answer does not tell which exist", async () => {
    const ctx = await createTestContext();
    await fail(ctx, 5, "nobody");

    const res = await loginRequest(ctx, "nobody", "whatever");

    expect(res.status).toBe(429);
  });

  it("for one username leave the others alone", async () => {
    const ctx = await createTestContext();
    await fail(ctx, 5, "ergong");

    expect((await loginRequest(ctx, "miaogong", ctx.fixture.password)).status).toBe(200);
  });
});
