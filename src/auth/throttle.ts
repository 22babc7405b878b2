import { eq, sql } from "drizzle-orm";
import { loginThrottle } from "../../schema";
import type { Deps } from "../deps";
import { AppError } from "../errors";

type ThrottleDeps = Pick<Deps, "db" | "clock" | "config">;

/**
 * Password guessing is slowed per username, in PostgreSQL so every process (and every Lambda) counts
 * the same failures. After LOGIN_MAX_FAILURES failures within the window, each further failure blocks the
 * username for a doubling time (30 s, 1 min, 2 min, ... up to the cap); a success clears the count.
 * Unknown usernames are counted too, so the answer does not reveal which usernames exist.
 * The price: someone who knows a username can keep its officer locked out while they keep guessing.
 */
const keyFor = (username: string) => `user:${username.trim().toLowerCase()}`;

/** Refuses, without checking the password, while the username is blocked. */
export async function assertNotThrottled(deps: ThrottleDeps, username: string): Promise<void> {
  const [row] = await deps.db
    .select({ blockedUntil: loginThrottle.blockedUntil })
    .from(loginThrottle)
    .where(eq(loginThrottle.key, keyFor(username)));
  const now = deps.clock.now();
  if (row?.blockedUntil && row.blockedUntil > now) {
    const seconds = Math.ceil((row.blockedUntil.getTime() - now.getTime()) / 1000);
    throw new AppError(
      "RATE_LIMITED",
      `too many failed logins for this username; try again in ${seconds} s`,
      undefined,
      seconds,
    );
  }
}

/** Counts a failure atomically (concurrent failures all count) and blocks once over the limit. */
export async function recordLoginFailure(deps: ThrottleDeps, username: string): Promise<void> {
  const { config } = deps;
  const now = deps.clock.now();
  // As text: postgres.js cannot bind a Date inside a raw SQL fragment (drizzle only maps it for columns).
  const windowStart = new Date(now.getTime() - config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000).toISOString();
  const [row] = await deps.db
    .insert(loginThrottle)
    .values({ key: keyFor(username), failures: 1, lastFailureAt: now })
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        // Quiet for a whole window since the last failure and the last block: start counting afresh.
        failures: sql`case when ${loginThrottle.lastFailureAt} < ${windowStart}::timestamptz and coalesce(${loginThrottle.blockedUntil} < ${windowStart}::timestamptz, true) then 1 else ${loginThrottle.failures} + 1 end`,
        lastFailureAt: now,
      },
    })
    .returning({ failures: loginThrottle.failures });
  const over = (row?.failures ?? 0) - config.LOGIN_MAX_FAILURES;
  if (over < 0) return;
  const seconds = Math.min(
    config.LOGIN_BLOCK_BASE_SECONDS * 2 ** Math.min(over, 20),
    config.LOGIN_BLOCK_MAX_SECONDS,
  );
  await deps.db
    .update(loginThrottle)
    .set({ blockedUntil: new Date(now.getTime() + seconds * 1000) })
    .where(eq(loginThrottle.key, keyFor(username)));
}

export async function clearLoginFailures(deps: Pick<Deps, "db">, username: string): Promise<void> {
  await deps.db.delete(loginThrottle).where(eq(loginThrottle.key, keyFor(username)));
}
