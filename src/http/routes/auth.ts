import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteCookie, setCookie } from "hono/cookie";
import { login, logout, SESSION_COOKIE } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { sessionToken } from "../auth";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  summary: "Log in as an officer",
  description:
    "Answers a bearer token for API clients and sets the same session as an HttpOnly, SameSite=Strict cookie `af_session` for the console. After repeated failures for a username, further tries are refused with 429 and Retry-After for a doubling time.",
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "A bearer token (also set as the session cookie)",
      content: { "application/json": { schema: z.object({ token: z.string(), expiresAt: z.string() }) } },
    },
    401: { description: "Wrong username or password" },
    429: { description: "Too many failed logins for this username; see Retry-After" },
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  summary: "End the session (bearer token or cookie) and clear the cookie",
  security: [{ bearer: [] }, { session: [] }] as Record<string, string[]>[],
  responses: { 204: { description: "Logged out (also when the session had already ended)" } },
});

export function authRoutes(deps: Deps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(loginRoute, async (c) => {
      const session = await login(deps, c.req.valid("json"));
      // Strict: the console is same-origin, so the cookie need never ride on a request another site starts.
      setCookie(c, SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
        secure: !deps.config.local,
        expires: session.expiresAt,
      });
      return c.json({ token: session.token, expiresAt: session.expiresAt.toISOString() }, 200);
    })
    .openapi(logoutRoute, async (c) => {
      const token = sessionToken(c);
      if (token) await logout(deps, token);
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !deps.config.local });
      return c.body(null, 204);
    });
}
