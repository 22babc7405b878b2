import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { devOutbox, SMS_PURPOSES } from "../../../schema";
import type { Deps } from "../../deps";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const outboxRoute = createRoute({
  method: "get",
  path: "/v1/dev/outbox",
  summary: "What phones would have received (local mode only)",
  request: {
    query: z.object({
      alertId: z.string().optional(),
      // An enum, so a misspelt purpose is a 400 naming the field rather than an empty list that looks like "nothing sent".
      purpose: z.enum(SMS_PURPOSES).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: {
      description: "Newest first",
      content: {
        "application/json": {
          schema: z.object({
            messages: z.array(
              z.object({
                id: z.string(),
                to: z.string(),
                purpose: z.string(),
                alertId: z.string().nullable(),
                body: z.string(),
                segments: z.number(),
                status: z.string(),
                createdAt: z.string(),
              }),
            ),
          }),
        },
      },
    },
  },
});

/** Mounted only in local mode: in production the path does not exist (404). */
export function devRoutes(deps: Deps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(outboxRoute, async (c) => {
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
