import { expect } from "vitest";
import type { Principal } from "../../src/auth/sessions";
import { send } from "./alerts";
import type { TestContext } from "./context";

/** Who calls: a fixture username, "anonymous" (no credentials) or "forged" (a token no session has). */
export type Caller = "anonymous" | "forged" | string;

export interface WrongCaller {
  caller: Caller;
  status: number;
  code: string;
}

export const NOT_LOGGED_IN: WrongCaller[] = [
  { caller: "anonymous", status: 401, code: "UNAUTHENTICATED" },
  { caller: "forged", status: 401, code: "UNAUTHENTICATED" },
];

/** Everyone who must not touch an alert of 庙工村 (pst_miaogong): it does not exist for them. */
export const OUTSIDERS_OF_MIAOGONG_ALERT: WrongCaller[] = [
  ...NOT_LOGGED_IN,
  { caller: "ergong", status: 404, code: "ALERT_NOT_FOUND" },
  { caller: "duty", status: 404, code: "ALERT_NOT_FOUND" },
  { caller: "other", status: 404, code: "ALERT_NOT_FOUND" },
  { caller: "otheradmin", status: 404, code: "ALERT_NOT_FOUND" },
];

const tokens = new WeakMap<TestContext, Map<string, string>>();

/** A session token for a fixture user, logged in once per test context. */
export async function tokenFor(ctx: TestContext, caller: Caller): Promise<string | undefined> {
  if (caller === "anonymous") return undefined;
  if (caller === "forged") return "not-a-session-token-at-all-0000000000000";
  let cache = tokens.get(ctx);
  if (!cache) {
    cache = new Map();
    tokens.set(ctx, cache);
  }
  let token = cache.get(caller);
  if (!token) {
    token = await ctx.login(caller);
    cache.set(caller, token);
  }
  return token;
}

/**
 * Rejects the wrong caller: each caller gets the expected status and problem code, and whatever
 * `observe` reads (the alert row, the audit log, ...) is the same afterwards as before: a refused
 * request changes nothing.
 */
export async function expectRejectsTheWrongCaller(
  ctx: TestContext,
  request: { method: string; path: string; body?: unknown },
  callers: WrongCaller[],
  observe?: () => Promise<unknown>,
): Promise<void> {
  const before = observe ? await observe() : undefined;
  for (const { caller, status, code } of callers) {
    const res = await send(ctx, await tokenFor(ctx, caller), request.method, request.path, request.body);
    const label = `${caller} → ${request.method} ${request.path}`;
    expect(res.status, label).toBe(status);
    expect(res.headers.get("content-type"), label).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code, label).toBe(code);
  }
  if (observe) expect(await observe()).toEqual(before);
}

/** The signed-in fixture officer as the use cases see them, for tests that call use cases directly. */
export function principalOf(
  ctx: TestContext,
  who: "miaogong" | "ergong" | "supervisor" = "miaogong",
): Principal {
  const { ids } = ctx.fixture;
  const postId = who === "miaogong" ? ids.miaogong : who === "ergong" ? ids.ergong : null;
  return {
    officerId: `off_${who}`,
    stationId: ids.station,
    postId,
    role: who === "supervisor" ? "supervisor" : "officer",
    passwordChangeRequired: false,
  };
}
