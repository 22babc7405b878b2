import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { authenticate, SESSION_COOKIE } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import type { AppEnv } from "./env";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The token of an `Authorization: Bearer <token>` header: a session token or a partner's API key. */
export function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/**
 * The session token of a request: `Authorization: Bearer` (API clients), or the console's cookie, which
 * the JSON API accepts for reading only. A browser attaches the cookie to a request another page starts —
 * a form on any site posts cross-site, and SameSite=Strict does not stop a page on the same host at
 * another port — so a change made on the cookie's word alone could be forged. The console changes
 * things through its own forms (/console/..., CSRF token and Origin check); nothing in it calls an unsafe
 * /v1 route, so refusing the cookie there costs the console nothing.
 *
 * `cookieForChanges` lets one route take the cookie for an unsafe method anyway (logout: forging it only
 * ends a session), and only from a request that does not say it came from another origin.
 */
export function sessionToken(c: Context, options: { cookieForChanges?: boolean } = {}): string | undefined {
  const bearer = bearerToken(c.req.header("authorization"));
  if (bearer) return bearer;
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie || SAFE_METHODS.has(c.req.method)) return cookie;
  if (options.cookieForChanges && !crossOrigin(c)) return cookie;
  throw new AppError(
    "UNAUTHENTICATED",
    "the session cookie only reads the JSON API; send Authorization: Bearer <token> to change anything",
  );
}

/** A browser's own word that the request came from a page of another origin (same-site included). */
function crossOrigin(c: Context): boolean {
  const fetchSite = c.req.header("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") return true;
  const origin = c.req.header("origin");
  return origin !== undefined && origin !== new URL(c.req.url).origin;
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
        "log in and send Authorization: Bearer <token> (or, to read, the session cookie)",
      );
    }
    c.set("principal", principal);
    await next();
  });
