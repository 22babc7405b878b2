import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { login } from "../../auth/sessions";
import type { Deps } from "../../deps";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const loginRoute = createRoute({
  method: "post",
  path: "/v1/auth/login",
  summary: "Log in as an officer",
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
      description: "A bearer token",
      content: { "application/json": { schema: z.object({ token: z.string(), expiresAt: z.string() }) } },
    },
    401: { description: "Wrong username or password" },
  },
});

export function authRoutes(deps: Deps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(loginRoute, async (c) => {
    const session = await login(deps, c.req.valid("json"));
    return c.json({ token: session.token, expiresAt: session.expiresAt.toISOString() }, 200);
  });
}
