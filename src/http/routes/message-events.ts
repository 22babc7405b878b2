import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import {
  clearCallback,
  getCallback,
  listDeadCallbacks,
  redriveCallback,
  setCallback,
} from "../../message-events/callback-settings";
import { MESSAGE_EVENT_STATUSES, PULL_MAX_LIMIT, pullMessageEvents } from "../../message-events/stream";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { requirePartner } from "../partner-auth";
import { errorResponses, idParam, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

export const MessageEventSchema = z
  .object({
    id: z.string().openapi({ description: "Unique per event: de-duplicate on it", example: "mev_1042" }),
    cursor: z.string().openapi({ description: "Pass as `after` to read what follows this event" }),
    waybillNo: z.string().openapi({ example: "YT0000000001" }),
    kind: z.string().openapi({ example: "arrived_at_pickup_point" }),
    parcelEventId: idSchema("parcelEvent"),
    messageId: idSchema("message").nullable().openapi({ description: "The SMS, once there is one" }),
    status: z.enum(MESSAGE_EVENT_STATUSES),
    reason: z
      .string()
      .nullable()
      .openapi({
        description:
          "suppressed: opted_out, capped_1d, capped_7d, no_campaign, opted_out_while_deferred, campaign_ended, " +
          "partner_disabled; deferred: quiet_hours; failed: the provider's answer",
      }),
    test: z.boolean().openapi({ description: "Made with a test-mode key: nothing was sent" }),
    at: timestamp,
  })
  .openapi("MessageEvent");

const CallbackSchema = z
  .object({
    url: z.string().openapi({ example: "https://courier.example/af-callbacks" }),
    status: z.enum(["active", "dead"]),
    pendingEvents: z.number().int(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable(),
    deadAt: timestamp.nullable(),
  })
  .openapi("MessageCallback");

const partnerParams = z.object({ partnerId: idSchema("partner") });
const partnerErrors = errorResponses({
  401: "No API key, or one that is unknown, revoked or disabled",
  404: "Another partner's id (answered like one that does not exist)",
});

const pullRoute = createRoute({
  method: "get",
  path: "/v1/partners/{partnerId}/message-events",
  operationId: "pullMessageEvents",
  tags: tag("Message events"),
  summary:
    "Status changes of your reminders, oldest first, after a cursor (the pull alternative to callbacks)",
  description:
    "Every status change of your reminders: scheduled, deferred, attached, suppressed (with reason), submitted, " +
    "delivered, failed, expired. In order; a reminder's changes never come out of order. Keep `nextCursor` and " +
    "pass it back as `after`; the same cursor gives the same events, so a lost answer is simply asked again.",
  security: SECURITY.bearer,
  request: {
    params: partnerParams,
    query: z.object({
      after: z.string().max(200).optional().openapi({ description: "A cursor from an earlier answer" }),
      limit: z.coerce.number().int().min(1).max(PULL_MAX_LIMIT).default(100),
    }),
  },
  responses: {
    200: json(
      z.object({ events: z.array(MessageEventSchema), nextCursor: z.string(), hasMore: z.boolean() }),
      "A page of events",
    ),
    ...errorResponses({ 400: "A cursor this endpoint did not give, or a bad limit" }),
    ...partnerErrors,
  },
});

const getCallbackRoute = createRoute({
  method: "get",
  path: "/v1/partners/{partnerId}/message-callback",
  operationId: "getMessageCallback",
  tags: tag("Message events"),
  summary: "Your status callback: URL, whether it is delivering or dead, events waiting",
  security: SECURITY.bearer,
  request: { params: partnerParams },
  responses: { 200: json(CallbackSchema, "The callback"), ...partnerErrors },
});

const setCallbackRoute = createRoute({
  method: "put",
  path: "/v1/partners/{partnerId}/message-callback",
  operationId: "setMessageCallback",
  tags: tag("Message events"),
  summary: "Set or move your status callback; its signing secret is returned the first time and on rotation",
  description:
    "Events are POSTed as `{ partnerId, events: [MessageEvent…] }`, up to PARTNER_CALLBACK_BATCH_SIZE (100) a " +
    'request, in order, with `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` made ' +
    "with the secret, and `X-Event-Id` (the last event's id). Answer 2xx to acknowledge. Timeouts, 408, 429 and " +
    "5xx are retried with backoff for 24 h, then the callback is dead until re-driven; other statuses kill it at " +
    "once. A new callback starts with the events that follow; earlier ones stay pullable. https only (http in " +
    "local mode).",
  security: SECURITY.bearer,
  request: {
    params: partnerParams,
    body: jsonBody(
      z.object({
        url: z.string().max(2000).url().openapi({ example: "https://courier.example/af-callbacks" }),
        rotateSecret: z.boolean().optional().openapi({ description: "Issue a new signing secret" }),
      }),
    ),
  },
  responses: {
    200: json(
      z.object({
        callback: CallbackSchema,
        secret: z.string().optional().openapi({ description: "Shown only when created or rotated" }),
      }),
      "The callback",
    ),
    ...errorResponses({ 400: "Not an https URL (http allowed in local mode)" }),
    ...partnerErrors,
  },
});

const clearCallbackRoute = createRoute({
  method: "delete",
  path: "/v1/partners/{partnerId}/message-callback",
  operationId: "deleteMessageCallback",
  tags: tag("Message events"),
  summary: "Remove your status callback: events are then only pulled",
  security: SECURITY.bearer,
  request: { params: partnerParams },
  responses: { 204: { description: "Removed" }, ...partnerErrors },
});

const redriveBody = jsonBody(z.object({ reason: z.string().trim().min(1).max(500).optional() }), {
  required: false,
});

const partnerRedriveRoute = createRoute({
  method: "post",
  path: "/v1/partners/{partnerId}/message-callback/redrive",
  operationId: "redriveMessageCallback",
  tags: tag("Message events"),
  summary: "Your receiver is fixed: deliver the dead callback's waiting events again, in order",
  security: SECURITY.bearer,
  request: { params: partnerParams, body: redriveBody },
  responses: {
    200: json(CallbackSchema, "The callback, active again"),
    ...partnerErrors,
    ...errorResponses({ 409: "The callback is not dead" }),
  },
});

const deadLettersRoute = createRoute({
  method: "get",
  path: "/v1/message-callbacks/dead-letters",
  operationId: "listDeadMessageCallbacks",
  tags: tag("Message events"),
  summary: "Partners' status callbacks that kept failing (supervisors and admins)",
  security: SECURITY.officer,
  responses: {
    200: json(
      z.object({
        deadLetters: z.array(
          z.object({
            partnerId: idSchema("partner"),
            partnerName: z.string(),
            url: z.string(),
            pendingEvents: z.number().int(),
            attempts: z.number().int(),
            lastError: z.string().nullable(),
            deadAt: timestamp.nullable(),
          }),
        ),
      }),
      "Newest first",
    ),
    ...errorResponses({ 401: "Not logged in", 403: "Only supervisors and admins" }),
  },
});

const officerRedriveRoute = createRoute({
  method: "post",
  path: "/v1/message-callbacks/{id}/redrive",
  operationId: "redriveDeadMessageCallback",
  tags: tag("Message events"),
  summary: "Re-drive a partner's dead status callback (supervisors and admins; audited)",
  security: SECURITY.officer,
  request: { params: idParam("partner"), body: redriveBody },
  responses: {
    200: json(CallbackSchema, "The callback, active again"),
    ...errorResponses({
      401: "Not logged in",
      403: "Only supervisors and admins",
      404: "No callback for such a partner at the station",
      409: "The callback is not dead",
    }),
  },
});

/** Partners' message events: the pull, the callback settings (partner API key), dead letters (officers). */
export function messageEventRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  for (const path of [
    "/v1/partners/:partnerId/message-events",
    "/v1/partners/:partnerId/message-callback",
    "/v1/partners/:partnerId/message-callback/redrive",
  ])
    app.use(path, requirePartner(deps));
  app.use("/v1/message-callbacks/*", requireOfficer(deps));
  return app
    .openapi(pullRoute, async (c) => {
      const partner = c.get("partner");
      return c.json(await pullMessageEvents(deps.db, partner.partnerId, c.req.valid("query")), 200);
    })
    .openapi(getCallbackRoute, async (c) => {
      const callback = await getCallback(deps, c.get("partner").partnerId);
      if (!callback) throw new AppError("NOT_FOUND", "no callback is set; events are pulled");
      return c.json(callback, 200);
    })
    .openapi(setCallbackRoute, async (c) => {
      const partner = c.get("partner");
      const result = await setCallback(deps, partner, c.req.valid("json"));
      c.get("log").info(
        { partnerId: partner.partnerId, secretIssued: Boolean(result.secret) },
        "partner status callback set",
      );
      return c.json(result, 200);
    })
    .openapi(clearCallbackRoute, async (c) => {
      await clearCallback(deps, c.get("partner"));
      return c.body(null, 204);
    })
    .openapi(partnerRedriveRoute, async (c) => {
      const partner = c.get("partner");
      return c.json(await redriveCallback(deps, { partner }, c.req.valid("json")?.reason), 200);
    })
    .openapi(deadLettersRoute, async (c) =>
      c.json({ deadLetters: await listDeadCallbacks(deps, c.get("principal")) }, 200),
    )
    .openapi(officerRedriveRoute, async (c) => {
      const { id } = c.req.valid("param");
      const reason = c.req.valid("json")?.reason;
      return c.json(await redriveCallback(deps, { officer: c.get("principal"), partnerId: id }, reason), 200);
    });
}
