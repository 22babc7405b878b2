import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { authenticate, SESSION_COOKIE } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { AppEnv } from "./env";

/** The session token of a request: `Authorization: Bearer` (API clients) or the console's cookie. */
export function sessionToken(c: Context): string | undefined {
  const header = c.req.header("authorization") ?? "";
  return header.match(/^Bearer\s+(\S+)$/i)?.[1] ?? getCookie(c, SESSION_COOKIE);
}

/**
 * Resolves the session to the officer behind it, or answers 401; 403 PASSWORD_CHANGE_REQUIRED while the
 * officer's password is one an admin set, except on the route that changes it (`passwordChange`).
 */
export const requireOfficer = (
  deps: Pick<Deps, "db" | "clock">,
  options: { passwordChange?: boolean } = {},
) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = sessionToken(c);
    const principal = token ? await authenticate(deps, token, options) : undefined;
    if (!principal) {
      throw new AppError(
        "UNAUTHENTICATED",
        "log in and send Authorization: Bearer <token> (or the session cookie)",
      );
    }
    c.set("principal", principal);
    await next();
  });
