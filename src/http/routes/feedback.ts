import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError, zodFieldErrors } from "../../errors";
import { listDeadLetters, redriveDeadLetter } from "../../feedback/dead-letters";
import { PULL_MAX_LIMIT, pullFeedback } from "../../feedback/pull";
import { authenticateFeed } from "../../feeds/sources";
import { idPattern } from "../../ids";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const FeedbackEventSchema = z
  .object({
    eventId: idSchema("feedback"),
    alertId: idSchema("alert"),
    externalId: z.string(),
    externalIds: z.array(z.string()),
    outcome: z.string(),
    amountProtected: z.number().int().nullable(),
    amountLost: z.number().int().nullable(),
    riskLevel: z.string(),
    stageTimes: z.record(z.string(), z.string().nullable()),
  })
  .openapi("FeedbackEvent");

const PullQuerySchema = z.object({
  after: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(PULL_MAX_LIMIT).default(100),
});

const DeadLetterSchema = z.object({
  eventId: idSchema("feedback"),
  alertId: idSchema("alert"),
  sourceId: idSchema("feedSource"),
  externalId: z.string().nullable(),
  outcome: z.string().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  deadAt: timestamp.nullable(),
});

const listDeadLettersRoute = createRoute({
  method: "get",
  path: "/v1/feedback/dead-letters",
  operationId: "listDeadLetters",
  tags: tag("Feedback"),
  summary: "Feedback callbacks that were given up on, newest first (supervisors and admins of the station)",
  security: SECURITY.bearer,
  request: {
    query: z.object({
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: json(
      z.object({ deadLetters: z.array(DeadLetterSchema), nextCursor: z.string().nullable() }),
      "A page of dead letters; pass nextCursor as cursor for older ones",
    ),
    ...errorResponses({
      400: "The cursor or limit is not valid",
      401: "Not logged in",
      403: "Officers do not manage feedback delivery",
    }),
  },
});

const redriveRoute = createRoute({
  method: "post",
  path: "/v1/feedback/dead-letters/{eventId}/redrive",
  operationId: "redriveDeadLetter",
  tags: tag("Feedback"),
  summary: "Re-drive a dead-lettered callback: pending again, attempts reset, a full retry window (audited)",
  security: SECURITY.bearer,
  request: {
    // The prefix only, with zod's own message: this parameter never had one of its own.
    params: z.object({ eventId: z.string().regex(idPattern("feedback")) }),
    body: jsonBody(z.object({ reason: z.string().max(500).optional() }), { required: false }),
  },
  responses: {
    202: json(
      z.object({ eventId: idSchema("feedback"), status: z.enum(["pending", "pull"]) }),
      "Queued for delivery (pending), or left for the source to pull (pull)",
    ),
    ...errorResponses({
      400: "Not a feedback event id, or the reason is too long",
      401: "Not logged in",
      403: "Officers do not manage feedback delivery",
      404: "No such event at the caller's station",
      409: "The event is not dead-lettered (delivered, pending or already re-driven)",
    }),
  },
});

export function feedbackRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Documented here, handled by hand below: the signature is checked before the query is validated, so an
  // unsigned caller learns nothing from error details (as for intake).
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/feeds/{sourceId}/feedback",
    operationId: "pullFeedback",
    tags: tag("Feeds"),
    summary: "Pull outcomes (快反) for sources without a callback URL, in order, each once",
    description:
      'Signed like intake: X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." followed by the empty body>, i.e. the MAC input is the timestamp and a dot and nothing else (the path and query are not signed; the timestamp must be within the tolerance window). Returns the source\'s feedback events with a cursor after `after` (omit it to start from the beginning), oldest first; pass `nextCursor` back as `after`. Events waiting to be pulled count as delivered once served; asking again with the same cursor returns the same events, and the receiver de-duplicates by eventId.',
    security: SECURITY.signed,
    request: {
      params: z.object({ sourceId: z.string() }),
      headers: z.object({ "x-signature": z.string() }),
      query: PullQuerySchema,
    },
    responses: {
      200: json(
        z.object({ events: z.array(FeedbackEventSchema), nextCursor: z.string(), hasMore: z.boolean() }),
        "The next events and the cursor after them",
      ),
      ...errorResponses({
        400: "`after` is not a cursor this endpoint returned, or `limit` is out of range",
        401: "Unknown source, bad signature or stale timestamp",
        503: "Feedback was being written; retry after the Retry-After seconds",
      }),
    },
  });

  app.get("/v1/feeds/:sourceId/feedback", async (c) => {
    const source = await authenticateFeed(
      deps,
      c.req.param("sourceId"),
      c.req.header("x-signature"),
      "",
      c.get("log"),
    );
    const query = PullQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      throw new AppError("VALIDATION_FAILED", "the query is not valid", zodFieldErrors(query.error));
    }
    const page = await pullFeedback(deps, source.id, query.data);
    c.get("log").info({ sourceId: source.id, events: page.events.length }, "feedback pulled");
    return c.json(page, 200);
  });

  app.use("/v1/feedback/*", requireOfficer(deps));
  return app
    .openapi(listDeadLettersRoute, async (c) => {
      const page = await listDeadLetters(deps, c.get("principal"), c.req.valid("query"));
      return c.json(
        {
          deadLetters: page.deadLetters.map((d) => ({
            ...d,
            createdAt: d.createdAt.toISOString(),
            deadAt: d.deadAt?.toISOString() ?? null,
          })),
          nextCursor: page.nextCursor,
        },
        200,
      );
    })
    .openapi(redriveRoute, async (c) => {
      const principal = c.get("principal");
      const eventId = c.req.valid("param").eventId;
      const body = c.req.header("content-type")?.includes("application/json") ? c.req.valid("json") : {};
      const result = await redriveDeadLetter(deps, principal, eventId, body ?? {});
      c.get("log").info(
        { eventId, officerId: principal.officerId, status: result.status },
        "feedback re-driven",
      );
      return c.json(result, 202);
    });
}
