import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ingestWarnings } from "../../alerts/intake";
import { WarningBatchSchema, WarningInputSchema } from "../../alerts/warning-input";
import type { Deps } from "../../deps";
import { authenticateFeed } from "../../feeds/sources";
import type { AppEnv } from "../env";
import { readJsonBody } from "../json-body";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag } from "../route-parts";
import { FieldErrorSchema } from "../schemas/problem";
import { parseBatchBody } from "../validation";

const IntakeResultSchema = z.object({
  index: z.number().int(),
  status: z.enum(["accepted", "duplicate", "rejected"]),
  alertId: idSchema("alert").optional(),
  /** Present (true) when an accepted warning joined an alert instead of opening one. */
  linked: z.literal(true).optional(),
  errors: z.array(FieldErrorSchema).optional(),
});

export function feedRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>();

  // Documented here, handled by hand below: the signature covers the raw body, and one bad warning
  // must not reject its batch, so the body cannot go through the all-or-nothing request validator.
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/feeds/{sourceId}/warnings",
    operationId: "postWarnings",
    tags: tag("Feeds"),
    summary: "Post fraud warnings (快接)",
    description:
      '1 to 1,000 warnings, body at most 1 MiB, signed with X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">. Each warning is accepted, reported as a duplicate of an earlier one (same externalId), or rejected with its field errors. An accepted warning for a subject (same phone) who already has an open alert at the station received within the last 24 hours (REPEAT_LINK_HOURS), or who has an earlier warning in the same batch, joins that alert: its result carries that alertId and `linked: true`, and no second case is opened. A more urgent linked warning raises the alert\'s risk level and type; the subject is sent another warning SMS only if the last one is over 30 minutes old (REPEAT_WARNING_QUIET_MINUTES) or the risk level rose.',
    security: SECURITY.signed,
    request: {
      params: z.object({ sourceId: z.string() }),
      headers: z.object({ "x-signature": z.string() }),
      body: jsonBody(z.object({ warnings: z.array(WarningInputSchema) })),
    },
    responses: {
      202: json(z.object({ results: z.array(IntakeResultSchema) }), "One result per warning, in order"),
      ...errorResponses({
        400: "Malformed JSON, or an empty or oversized batch",
        401: "Unknown source, bad signature or stale timestamp",
        413: "Body over 1 MiB",
        415: "Not application/json",
      }),
    },
  });

  app.post("/v1/feeds/:sourceId/warnings", async (c) => {
    const { raw, value } = await readJsonBody(c);
    const source = await authenticateFeed(
      deps,
      c.req.param("sourceId"),
      c.req.header("x-signature"),
      raw,
      c.get("log"),
    );
    const batch = parseBatchBody(WarningBatchSchema, value, "{ warnings: [1..1000 items] }");
    const results = await ingestWarnings(deps, source, batch.warnings, c.get("requestId"));
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of results) counts[r.status]++;
    c.get("log").info({ sourceId: source.id, ...counts }, "warnings received");
    return c.json({ results }, 202);
  });
  return app;
}
