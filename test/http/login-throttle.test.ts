import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loginThrottle } from "../../schema";
import { throttleKey } from "../../src/http/client-address";
import type { Problem } from "../support/alerts";
import { ManualClock } from "../support/clock";
import { createTestContext, type TestContext } from "../support/context";

/** A login as the server sees it arrive: from a connection at `from`, optionally claiming X-Forwarded-For. */
function login(
  ctx: TestContext,
  username: string,
  password: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    ctx.app.request(
      "/v1/auth/login",
      {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ username, password }),
      },
      { incoming: { socket: { remoteAddress: from } } },
    ),
  );
}

const ATTACKER = "203.0.113.66";
const OFFICE = "198.51.100.10";

async function failTimes(ctx: TestContext, times: number, username: string, from: string) {
  for (let i = 0; i < times; i++) {
    expect((await login(ctx, username, `wrong-${i}`, from)).status, `failure ${i + 1}`).toBe(401);
  }
}

describe("login throttling", () => {
  it("checks only five of 40 concurrent wrong passwords for one username; the rest wait with 429", async () => {
    const ctx = await createTestContext();

    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(ctx, "miaogong", `guess-${i}`, ATTACKER).then((r) => r.status),
      ),
    );

    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    const [row] = await ctx.deps.db
      .select()
      .from(loginThrottle)
      .where(eq(loginThrottle.key, "user:miaogong"));
    expect(row?.failures).toBe(5);
  });

  it("slows one address spraying a password across many usernames, and only that address", async () => {
    const ctx = await createTestContext({ env: { LOGIN_MAX_FAILURES_PER_ADDRESS: "8" } });
    for (let i = 0; i < 8; i++) {
      expect((await login(ctx, `user${i}`, "Spring2026!", ATTACKER)).status, `username ${i}`).toBe(401);
    }

    const sprayed = await login(ctx, "user8", "Spring2026!", ATTACKER);

    expect(sprayed.status).toBe(429);
    expect(((await sprayed.json()) as Problem).code).toBe("RATE_LIMITED");
    expect(Number(sprayed.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await login(ctx, "miaogong", ctx.fixture.password, ATTACKER)).status).toBe(429);
    expect((await login(ctx, "miaogong", ctx.fixture.password, OFFICE)).status).toBe(200);
  });

  it("lets the rightful officer in from an address that has not been failing while their username is blocked", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await failTimes(ctx, 5, "miaogong", ATTACKER);
    expect((await login(ctx, "miaogong", ctx.fixture.password, ATTACKER)).status).toBe(429);

    const officer = await login(ctx, "miaogong", ctx.fixture.password, OFFICE);

    expect(officer.status).toBe(200);
  });

  it("gives another address one guess at a blocked username, then makes it wait too", async () => {
    const ctx = await createTestContext();
    await failTimes(ctx, 5, "miaogong", ATTACKER);
    const second = "203.0.113.67";

    expect((await login(ctx, "miaogong", "one-more-guess", second)).status).toBe(401);
    expect((await login(ctx, "miaogong", ctx.fixture.password, second)).status).toBe(429);
  });

  it("backs off in growing steps that stay within minutes, never an hour", async () => {
    const clock = new ManualClock();
    const ctx = await createTestContext({ clock });
    await failTimes(ctx, 5, "miaogong", ATTACKER);
    const waits: number[] = [];
    for (let round = 0; round < 8; round++) {
      const res = await login(ctx, "miaogong", "still-wrong", ATTACKER);
      expect(res.status).toBe(429);
      const wait = Number(res.headers.get("retry-after"));
      waits.push(wait);
      clock.advance(wait * 1000);
      expect((await login(ctx, "miaogong", `wrong-after-${round}`, ATTACKER)).status).toBe(401);
    }

    expect(waits).toEqual([30, 60, 120, 240, 300, 300, 300, 300]);
    clock.advance(300_000);
    expect((await login(ctx, "miaogong", ctx.fixture.password, ATTACKER)).status).toBe(200);
  });

  it("does not believe X-Forwarded-For from a client: a made-up address per guess is still one address", async () => {
    const ctx = await createTestContext();
    for (let i = 0; i < 5; i++) {
      const res = await login(ctx, "miaogong", `wrong-${i}`, ATTACKER, { "x-forwarded-for": `10.0.0.${i}` });
      expect(res.status).toBe(401);
    }

    const res = await login(ctx, "miaogong", ctx.fixture.password, ATTACKER, {
      "x-forwarded-for": "10.9.9.9",
    });

    expect(res.status).toBe(429);
  });

  it("believes X-Forwarded-For from a proxy named in TRUSTED_PROXIES", async () => {
    const proxy = "10.0.0.2";
    const ctx = await createTestContext({ env: { TRUSTED_PROXIES: `${proxy}, 10.0.0.3` } });
    for (let i = 0; i < 5; i++) {
      const res = await login(ctx, "miaogong", `wrong-${i}`, proxy, {
        "x-forwarded-for": `${ATTACKER}, 10.0.0.3`,
      });
      expect(res.status).toBe(401);
    }

    expect(
      (await login(ctx, "miaogong", ctx.fixture.password, proxy, { "x-forwarded-for": ATTACKER })).status,
    ).toBe(429);

    // The officer behind the same proxy, from an address that has not been failing.
    const res = await login(ctx, "miaogong", ctx.fixture.password, proxy, { "x-forwarded-for": OFFICE });

    expect(res.status).toBe(200);
  });

  it("stores client addresses only as keyed hashes", async () => {
    const ctx = await createTestContext();
    await failTimes(ctx, 1, "miaogong", ATTACKER);

    const keys = (await ctx.deps.db.select({ key: loginThrottle.key }).from(loginThrottle)).map((r) => r.key);

    expect(keys).toHaveLength(2);
    expect(keys.join(" ")).not.toContain(ATTACKER);
  });
});

describe("throttleKey", () => {
  it.each([
    ["203.0.113.66", "203.0.113.66"],
    ["::ffff:203.0.113.66", "203.0.113.66"],
    ["2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"],
    ["2001:db8:aa:bb::99", "2001:db8:aa:bb::/64"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
  ])("counts %s as %s", (address, key) => {
    expect(throttleKey(address)).toBe(key);
  });
});
