import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteCookie, setCookie } from "hono/cookie";
import { MIN_PASSWORD_LENGTH } from "../../auth/officers";
import { changeOwnPassword } from "../../auth/password-change";
import { login, logout, SESSION_COOKIE } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { requireOfficer, sessionToken } from "../auth";
import { clientAddress } from "../client-address";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  summary: "Log in as an officer",
  description:
    "Answers a bearer token for API clients and sets the same session as an HttpOnly, SameSite=Strict cookie `af_session` for the console. Failed logins are counted per username and per client address; past the limit, further tries are refused with 429 and Retry-After for a doubling time (seconds to minutes). A username's block does not apply to an address that has not been failing.",
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
      content: {
        "application/json": {
          schema: z.object({
            token: z.string(),
            expiresAt: z.string(),
            passwordChangeRequired: z.boolean().openapi({
              description: "True: the password was set by an admin; POST /v1/auth/password first",
            }),
          }),
        },
      },
    },
    401: { description: "Wrong username or password" },
    429: { description: "Too many failed logins for this username or from this address; see Retry-After" },
  },
});

const passwordRoute = createRoute({
  method: "post",
  path: "/v1/auth/password",
  summary: "Choose your own password",
  description:
    "Needs the current password. Required before anything else after an admin created the officer or reset the password (every other route answers 403 PASSWORD_CHANGE_REQUIRED until then). The officer's other sessions end; this one goes on. A wrong current password counts as a failed login.",
  security: [{ bearer: [] }, { session: [] }] as Record<string, string[]>[],
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            currentPassword: z.string().min(1).max(256),
            newPassword: z.string().min(MIN_PASSWORD_LENGTH).max(256),
          }),
        },
      },
    },
  },
  responses: {
    204: { description: "Changed" },
    400: {
      description: "The new password is too short, the same as the current one, or contains the username",
    },
    401: { description: "Not logged in" },
    403: { description: "The current password is wrong" },
    429: { description: "Too many failed tries for this username; see Retry-After" },
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
