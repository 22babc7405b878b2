import { sql } from "drizzle-orm";
import { queryRows, type Tx } from "../db/client";
import type { Deps } from "../deps";
import { AppError } from "../errors";

type ThrottleDeps = Pick<Deps, "db" | "clock" | "config" | "pii">;

/**
 * Password guessing is slowed in PostgreSQL, so every process (and every Lambda) counts the same attempts,
 * following OWASP's Authentication Cheat Sheet:
 *
 * - **Counted before the password is checked.** Each attempt takes its place in one conditional upsert per
 *   key, under the row's lock, that both counts it and decides; a blocked key is refused without touching
 *   the password. Forty concurrent guesses therefore get exactly LOGIN_MAX_FAILURES checks, not forty.
 *   A right password takes its count back (the username's failures are forgiven, the address's own attempt
 *   is uncounted).
 * - **Per username and per client address.** Guessing one account is slowed by the username's count; spraying
 *   one password across many usernames from one address by the address's (LOGIN_MAX_FAILURES_PER_ADDRESS,
 *   higher, since a station's office shares one address). Unknown usernames count like known ones, so the
 *   answers do not tell which exist. Addresses are stored only as keyed hashes and deleted with the row.
 * - **Back off, do not lock out.** Past the limit each further failure blocks the key for a doubling time
 *   (LOGIN_BLOCK_BASE_SECONDS, then twice that, ... up to LOGIN_BLOCK_MAX_SECONDS, default 5 minutes),
 *   answered 429 with Retry-After. And a username's block does not apply to an address that has not failed
 *   a login within the window: someone who knows an officer's username cannot keep the officer out, since
 *   the officer's phone or desk has not been failing. The price, stated: an attacker with many addresses
 *   gets one guess per address per window at a blocked username (then that address is failing too, and the
 *   address limit applies). Passwords of 12+ characters and the audit of every login keep that small.
 */
export interface LoginAttempt {
  username: string;
  addressKey: string;
}

const userKey = (username: string) => `user:${username.trim().toLowerCase()}`;

/**
 * Takes a place for one login attempt, or refuses with RATE_LIMITED (Retry-After) while the client address,
 * or the username (unless the address has not been failing), is blocked. Nothing is counted for a refusal.
 */
export async function beginLoginAttempt(
  deps: ThrottleDeps,
  input: { username: string; clientAddress: string },
): Promise<LoginAttempt> {
  const attempt = { username: input.username, addressKey: `addr:${deps.pii.hash(input.clientAddress)}` };
  const { config } = deps;
  const now = deps.clock.now();
  const refusal = await deps.db
    .transaction(async (tx) => {
      const max = config.LOGIN_MAX_FAILURES_PER_ADDRESS;
      const address = await countAttempt(tx, deps, attempt.addressKey, max, now, false);
      if (!address) return { key: attempt.addressKey, message: "too many failed logins from this address" };
      // The address's first attempt in the window (counted under its row lock, so only one such attempt).
      const addressClean = address.failures === 1;
      const user = await countAttempt(
        tx,
        deps,
        userKey(attempt.username),
        config.LOGIN_MAX_FAILURES,
        now,
        addressClean,
      );
      // Refused for the username: throwing takes the address's count back with the transaction.
      if (!user) throw new UsernameBlocked();
      return undefined;
    })
    .catch((error: unknown) => {
      if (!(error instanceof UsernameBlocked)) throw error;
      return { key: userKey(attempt.username), message: "too many failed logins for this username" };
    });
  if (refusal) {
    const seconds = await secondsBlocked(deps, refusal.key, now);
    throw new AppError("RATE_LIMITED", `${refusal.message}; try again in ${seconds} s`, undefined, seconds);
  }
  return attempt;
}

/** The password was right: the username's failures are forgiven; the address's count loses this attempt. */
export async function loginSucceeded(
  deps: Pick<Deps, "db" | "config">,
  attempt: LoginAttempt,
): Promise<void> {
  const max = deps.config.LOGIN_MAX_FAILURES_PER_ADDRESS;
  await deps.db.execute(sql`delete from login_throttle where key = ${userKey(attempt.username)}`);
  await deps.db.execute(
    sql`update login_throttle
        set failures = greatest(failures - 1, 0),
            blocked_until = case when failures - 1 >= ${max} then blocked_until end
        where key = ${attempt.addressKey}`,
  );
}

/**
 * Counts an attempt for one key and decides, in one statement under the row's lock: a key that is blocked
 * (and not `exempt`) is left alone and nothing is returned. A count quiet for a whole window since its last
 * failure and block starts again from 1. Reaching `max`, the key is blocked for BASE · 2^(count − max)
 * seconds, capped: the attempt that reaches the limit is still checked, the next one waits.
 */
async function countAttempt(
  tx: Tx,
  deps: ThrottleDeps,
  key: string,
  max: number,
  now: Date,
  exempt: boolean,
): Promise<{ failures: number } | undefined> {
  const { config } = deps;
  // As text: postgres.js cannot bind a Date inside a raw SQL fragment.
  const at = now.toISOString();
  const windowStart = new Date(now.getTime() - config.LOGIN_FAILURE_WINDOW_MINUTES * 60_000).toISOString();
  const count = sql`case when t.last_failure_at < ${windowStart}::timestamptz
                          and coalesce(t.blocked_until < ${windowStart}::timestamptz, true)
                     then 1 else t.failures + 1 end`;
  const [row] = await queryRows<{ failures: number }>(
    tx,
    sql`insert into login_throttle as t (key, failures, last_failure_at, blocked_until)
        values (${key}, 1, ${at}::timestamptz, ${max <= 1 ? blockUntil(deps, now, 0) : null}::timestamptz)
        on conflict (key) do update set
          failures = ${count},
          last_failure_at = ${at}::timestamptz,
          blocked_until = case when ${count} >= ${max}
            then ${at}::timestamptz + make_interval(secs => least(
                   ${config.LOGIN_BLOCK_BASE_SECONDS}::float8 * power(2, least(${count} - ${max}, 20)),
                   ${config.LOGIN_BLOCK_MAX_SECONDS}::float8))
            else null end
        where ${exempt}::boolean or t.blocked_until is null or t.blocked_until <= ${at}::timestamptz
        returning failures`,
  );
  return row ? { failures: Number(row.failures) } : undefined;
}

function blockUntil(deps: ThrottleDeps, now: Date, over: number): string {
  const seconds = Math.min(
    deps.config.LOGIN_BLOCK_BASE_SECONDS * 2 ** Math.min(over, 20),
    deps.config.LOGIN_BLOCK_MAX_SECONDS,
  );
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

async function secondsBlocked(deps: ThrottleDeps, key: string, now: Date): Promise<number> {
  const [row] = await queryRows<{ blocked_until: string | Date | null }>(
    deps.db,
    sql`select blocked_until from login_throttle where key = ${key}`,
  );
  const until = row?.blocked_until ? new Date(row.blocked_until).getTime() : now.getTime() + 1000;
  return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
}

class UsernameBlocked extends Error {}
