import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteCookie, setCookie } from "hono/cookie";
import { MIN_PASSWORD_LENGTH } from "../../auth/officers";
import { changeOwnPassword } from "../../auth/password-change";
import { login, logout, SESSION_COOKIE } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { requireOfficer, sessionToken } from "../auth";
import { clientAddress } from "../client-address";
import type { AppEnv } from "../env";
import { errorResponses, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  operationId: "login",
  tags: tag("Auth"),
  summary: "Log in as an officer",
  description:
    "Answers a bearer token for API clients and sets the same session as an HttpOnly, SameSite=Strict cookie `af_session` for the console. Failed logins are counted per username and per client address; past the limit, further tries are refused with 429 and Retry-After for a doubling time (seconds to minutes). A username's block does not apply to an address that has not been failing.",
  security: SECURITY.none,
  request: {
    body: jsonBody(z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })),
  },
  responses: {
    200: json(
      z.object({
        token: z.string(),
        expiresAt: timestamp,
        passwordChangeRequired: z.boolean().openapi({
          description: "True: the password was set by an admin; POST /v1/auth/password first",
        }),
      }),
      "A bearer token (also set as the session cookie)",
    ),
    ...errorResponses({
      400: "No username or password",
      401: "Wrong username or password",
      429: "Too many failed logins for this username or from this address; see Retry-After",
    }),
  },
});

const passwordRoute = createRoute({
  method: "post",
  path: "/v1/auth/password",
  operationId: "changeOwnPassword",
  tags: tag("Auth"),
  summary: "Choose your own password",
  description:
    "Needs the current password. Required before anything else after an admin created the officer or reset the password (every other route answers 403 PASSWORD_CHANGE_REQUIRED until then). The officer's other sessions end; this one goes on. A wrong current password counts as a failed login.",
  security: SECURITY.officer,
  request: {
    body: jsonBody(
      z.object({
        currentPassword: z.string().min(1).max(256),
        newPassword: z.string().min(MIN_PASSWORD_LENGTH).max(256),
      }),
    ),
  },
  responses: {
    204: { description: "Changed" },
    ...errorResponses({
      400: "The new password is too short, the same as the current one, or contains the username",
      401: "Not logged in",
      403: "The current password is wrong",
      429: "Too many failed tries for this username; see Retry-After",
    }),
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  operationId: "logout",
  tags: tag("Auth"),
  summary: "End the session (bearer token or cookie) and clear the cookie",
  security: SECURITY.officer,
  responses: {
    204: { description: "Logged out (also when the session had already ended)" },
    ...errorResponses({ 401: "The session cookie came with a request from another origin" }),
  },
});

export function authRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/auth/password", requireOfficer(deps, { passwordChange: true }));
  return app
    .openapi(loginRoute, async (c) => {
      const session = await login(deps, {
        ...c.req.valid("json"),
        clientAddress: clientAddress(c, deps.config.TRUSTED_PROXIES),
      });
      // Strict: the console is same-origin, so the cookie need never ride on a request another site starts.
      setCookie(c, SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
        secure: !deps.config.local,
        expires: session.expiresAt,
      });
      return c.json(
        {
          token: session.token,
          expiresAt: session.expiresAt.toISOString(),
          passwordChangeRequired: session.passwordChangeRequired,
        },
        200,
      );
    })
    .openapi(passwordRoute, async (c) => {
      await changeOwnPassword(deps, c.get("principal"), sessionToken(c) as string, {
        ...c.req.valid("json"),
        clientAddress: clientAddress(c, deps.config.TRUSTED_PROXIES),
      });
      c.get("log").info({ officerId: c.get("principal").officerId }, "officer changed their password");
      return c.body(null, 204);
    })
    .openapi(logoutRoute, async (c) => {
      const token = sessionToken(c, { cookieForChanges: true });
      if (token) await logout(deps, token);
      deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !deps.config.local });
      return c.body(null, 204);
    });
}
