import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { devOutbox, SMS_PURPOSES } from "../../../schema";
import { assertAdmin } from "../../auth/roles";
import { authenticate } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import { sessionToken } from "../auth";
import { socketAddress } from "../client-address";
import type { AppEnv } from "../env";
import { isLoopback } from "../loopback";
import { errorResponses, idSchema, json, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const outboxRoute = createRoute({
  method: "get",
  path: "/v1/dev/outbox",
  operationId: "listDevOutbox",
  tags: tag("Development"),
  summary: "What phones would have received (local mode only)",
  description:
    "SMS bodies carry victims' addresses: open only to a caller on this machine while the server listens on loopback (the local default); otherwise an admin's session.",
  security: SECURITY.officer,
  request: {
    query: z.object({
      alertId: z.string().optional(),
      // An enum, so a misspelt purpose is a 400 naming the field rather than an empty list that looks like "nothing sent".
      purpose: z.enum(SMS_PURPOSES).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: json(
      z.object({
        messages: z.array(
          z.object({
            id: idSchema("message"),
            to: z.string(),
            purpose: z.string(),
            alertId: idSchema("alert").nullable(),
            body: z.string(),
            segments: z.number(),
            status: z.string(),
            createdAt: timestamp,
          }),
        ),
      }),
      "Newest first",
    ),
    ...errorResponses({
      400: "A filter is not valid",
      401: "Not on this machine (or the server listens beyond loopback), and not logged in",
      403: "Not an admin",
    }),
  },
});

/**
 * Who may read the outbox. Without credentials only a caller on this machine, and only while the server
 * listens on loopback: bound to every interface, a loopback peer may be a proxy forwarding anyone, so
 * then (and for any other caller) it takes an admin's session, as every other view of SMS content does.
 */
const outboxAccess = (deps: Pick<Deps, "db" | "clock" | "config">) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (isLoopback(deps.config.HOST) && isLoopback(socketAddress(c))) return next();
    const token = sessionToken(c);
    const principal = token ? await authenticate(deps, token) : undefined;
    if (!principal) {
      throw new AppError(
        "UNAUTHENTICATED",
        "the development outbox answers this machine while the server listens on loopback; otherwise log in as an admin and send Authorization: Bearer <token>",
      );
    }
    assertAdmin(principal);
    await next();
  });

/** Mounted only in local mode: in production the path does not exist (404). */
export function devRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/dev/*", outboxAccess(deps));
  return app.openapi(outboxRoute, async (c) => {
    const { alertId, purpose, limit } = c.req.valid("query");
    const filters: SQL[] = [];
    if (alertId) filters.push(eq(devOutbox.alertId, alertId));
    if (purpose) filters.push(eq(devOutbox.purpose, purpose));
    const rows = await deps.db
      .select()
      .from(devOutbox)
      .where(and(...filters))
      .orderBy(desc(devOutbox.createdAt), desc(devOutbox.id))
      .limit(limit);
    return c.json(
      {
        messages: rows.map((r) => ({
          id: r.messageId,
          to: r.toMasked,
          purpose: r.purpose,
          alertId: r.alertId,
          body: r.body,
          segments: r.segments,
          status: r.status,
          createdAt: r.createdAt.toISOString(),
        })),
      },
      200,
    );
  });
}
