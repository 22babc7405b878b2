import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listAudit } from "../../audit/log";
import type { Deps } from "../../deps";
import { timestampWithOffset } from "../../timestamp-schema";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, json, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: timestamp,
  officerId: idSchema("officer").nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});

const listAuditRoute = createRoute({
  method: "get",
  path: "/v1/audit",
  operationId: "listAudit",
  tags: tag("Audit"),
  summary: "The station's audit log, newest first: phone reveals, alert actions, officer administration",
  security: SECURITY.officer,
  request: {
    query: z.object({
      action: z.string().max(100).optional(),
      officerId: z.string().max(100).optional(),
      targetType: z.string().max(100).optional(),
      targetId: z.string().max(100).optional(),
      from: timestampWithOffset().optional().openapi({ description: "Entries at or after this time" }),
      to: timestampWithOffset().optional().openapi({ description: "Entries before this time" }),
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: json(
      z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
      "A page of entries; pass nextCursor as cursor for older ones",
    ),
    ...errorResponses({
      400: "A filter or the cursor is not valid",
      401: "Not logged in",
      403: "Officers read their alerts' timelines, not the audit log",
    }),
  },
});

export function auditRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/audit", requireOfficer(deps));
  return app.openapi(listAuditRoute, async (c) => {
    const { from, to, ...query } = c.req.valid("query");
    const range = { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined };
    return c.json(await listAudit(deps, c.get("principal"), { ...query, ...range }), 200);
  });
}
