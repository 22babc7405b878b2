import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError, zodFieldErrors } from "../../errors";
import { listDeadLetters, redriveDeadLetter } from "../../feedback/dead-letters";
import { PULL_MAX_LIMIT, pullFeedback } from "../../feedback/pull";
import { authenticateFeed } from "../../feeds/sources";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const FeedbackEventSchema = z
  .object({
    eventId: z.string(),
    alertId: z.string(),
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
  eventId: z.string(),
  alertId: z.string(),
  sourceId: z.string(),
  externalId: z.string().nullable(),
  outcome: z.string().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deadAt: z.string().nullable(),
});

const listDeadLettersRoute = createRoute({
  method: "get",
  path: "/v1/feedback/dead-letters",
  summary: "Feedback callbacks that were given up on, newest first (supervisors and admins of the station)",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: {
      description: "A page of dead letters; pass nextCursor as cursor for older ones",
      content: {
        "application/json": {
          schema: z.object({ deadLetters: z.array(DeadLetterSchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    400: { description: "The cursor or limit is not valid" },
    401: { description: "Not logged in" },
    403: { description: "Officers do not manage feedback delivery" },
  },
});

const redriveRoute = createRoute({
  method: "post",
  path: "/v1/feedback/dead-letters/{eventId}/redrive",
  summary: "Re-drive a dead-lettered callback: pending again, attempts reset, a full retry window (audited)",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ eventId: z.string().regex(/^fbk_/) }),
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ reason: z.string().max(500).optional() }) } },
    },
  },
  responses: {
    202: {
      description: "Queued for delivery (pending), or left for the source to pull (pull)",
      content: {
        "application/json": {
          schema: z.object({ eventId: z.string(), status: z.enum(["pending", "pull"]) }),
        },
      },
    },
    401: { description: "Not logged in" },
    403: { description: "Officers do not manage feedback delivery" },
    404: { description: "No such event at the caller's station" },
    409: { description: "The event is not dead-lettered (delivered, pending or already re-driven)" },
  },
});

export function feedbackRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Documented here, handled by hand below: the signature is checked before the query is validated, so an
  // unsigned caller learns nothing from error details (as for intake).
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/feeds/{sourceId}/feedback",
    summary: "Pull outcomes (快反) for sources without a callback URL, in order, each once",
    description:
      'Signed like intake: X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." followed by the empty body>, i.e. the MAC input is the timestamp and a dot and nothing else (the path and query are not signed; the timestamp must be within the tolerance window). Returns the source\'s feedback events with a cursor after `after` (omit it to start from the beginning), oldest first; pass `nextCursor` back as `after`. Events waiting to be pulled count as delivered once served; asking again with the same cursor returns the same events, and the receiver de-duplicates by eventId.',
    request: {
      params: z.object({ sourceId: z.string() }),
      headers: z.object({ "x-signature": z.string() }),
      query: PullQuerySchema,
    },
    responses: {
      200: {
        description: "The next events and the cursor after them",
        content: {
          "application/json": {
            schema: z.object({
              events: z.array(FeedbackEventSchema),
              nextCursor: z.string(),
              hasMore: z.boolean(),
            }),
          },
        },
      },
      400: { description: "`after` is not a cursor this endpoint returned, or `limit` is out of range" },
      401: { description: "Unknown source, bad signature or stale timestamp" },
      503: { description: "Feedback was being written; retry after the Retry-After seconds" },
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
