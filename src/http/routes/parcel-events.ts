import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import { IDEMPOTENCY_KEY_PATTERN, requestDigest } from "../../idempotency";
import { ParcelEventBatchSchema, ParcelEventInputSchema } from "../../parcels/event-input";
import { receiveParcelEvents } from "../../parcels/intake";
import { getParcelEvents } from "../../parcels/view";
import type { AppEnv } from "../env";
import { readJsonBody } from "../json-body";
import { requirePartner } from "../partner-auth";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { FieldErrorSchema } from "../schemas/problem";
import { parseBatchBody, validationHook } from "../validation";

const ResultSchema = z
  .object({
    index: z.number().int(),
    status: z.enum(["scheduled", "deferred", "attached", "suppressed", "duplicate", "rejected"]),
    reason: z.string().optional().openapi({
      description:
        "suppressed: opted_out, capped_<period>, no_campaign, no_template (a campaign covers the area but has no active template); deferred: quiet_hours",
    }),
    deferredUntil: z.string().optional().openapi({ description: "deferred: when the reminder will go" }),
    text: z.string().optional().openapi({ description: "attached: the text to append to your pickup SMS" }),
    messageId: idSchema("message")
      .optional()
      .openapi({ description: "scheduled: the SMS, see GET /v1/messages/{id}" }),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .openapi("ParcelEventResult");

const EventViewSchema = z
  .object({
    id: idSchema("parcelEvent"),
    kind: z.string(),
    recipient: z.string().nullable().openapi({
      description:
        "Masked: at least six digits hidden (GB/T 41833-2022); null once purged (PII_RETENTION_DAYS)",
    }),
    area: z.object({ code: z.string().nullable() }),
    pickupPoint: z.string().nullable(),
    occurredAt: timestamp,
    receivedAt: timestamp,
    decision: z.enum(["scheduled", "deferred", "attached", "suppressed"]),
    reason: z.string().nullable(),
    explanation: z.string(),
    test: z.boolean().openapi({ description: "Made with a test-mode key: decided, never sent" }),
    campaignId: idSchema("campaign").nullable(),
    templateId: idSchema("template").nullable(),
    deferredUntil: timestamp.nullable(),
    text: z.string().nullable(),
    messageId: idSchema("message").nullable(),
    sms: z
      .object({
        status: z.string().nullable(),
        holdReason: z.string().nullable(),
        submittedAt: timestamp.nullable(),
        finishedAt: timestamp.nullable(),
      })
      .nullable(),
  })
  .openapi("ParcelEventView");

const partnerErrors = errorResponses({
  401: "No API key, or one that is unknown, revoked or disabled",
  404: "Not found for this partner (another partner's id or data answers 404 too)",
});

const getWaybillRoute = createRoute({
  method: "get",
  path: "/v1/partners/{partnerId}/parcel-events/{waybillNo}",
  operationId: "getWaybillEvents",
  tags: tag("Parcels"),
  summary:
    "A waybill's events with each reminder decision and its reason (why did, or didn't, this person get an SMS)",
  security: SECURITY.bearer,
  request: {
    params: z.object({ partnerId: z.string(), waybillNo: z.string().min(1).max(40) }),
  },
  responses: {
    200: json(
      z.object({ waybillNo: z.string(), events: z.array(EventViewSchema) }),
      "Events in the order they happened",
    ),
    ...errorResponses({ 400: "Not a waybill number" }),
    ...partnerErrors,
  },
});

export function parcelEventRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Documented here, handled by hand below: one bad event must not reject its batch, so the body cannot go
  // through the all-or-nothing request validator.
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/partners/{partnerId}/parcel-events",
    operationId: "postParcelEvents",
    tags: tag("Parcels"),
    summary: "Report parcel events; each gets its anti-fraud reminder decision",
    description:
      "1 to 1,000 events, body at most 1 MiB, `Authorization: Bearer <apiKey>`. Results come in request order: " +
      "`scheduled` (an SMS is queued; messageId), `deferred` (quiet hours; deferredUntil is when it goes), " +
      "`attached` (for `attach` partners: append `text` to your own pickup SMS), `suppressed` (reason: opted_out, " +
      "capped_<period> — frequency caps counted across every partner —, no_campaign, no_template), `duplicate` (this waybill and " +
      "kind were reported before) or `rejected` (field errors). An `Idempotency-Key` header makes a retried request " +
      "answer with the stored response; the same key with a different body is a 422.",
    security: SECURITY.bearer,
    request: {
      params: z.object({ partnerId: z.string() }),
      headers: z.object({ "idempotency-key": z.string().max(255).optional() }),
      body: jsonBody(z.object({ events: z.array(ParcelEventInputSchema) })),
    },
    responses: {
      200: json(z.object({ results: z.array(ResultSchema) }), "One result per event, in order"),
      ...errorResponses({
        400: "Malformed JSON, no events array, an empty or oversized batch, a bad Idempotency-Key",
      }),
      ...partnerErrors,
      ...errorResponses({
        413: "Body over 1 MiB",
        415: "Not application/json",
        422: "The Idempotency-Key was used before with a different body",
      }),
    },
  });

  app.use("/v1/partners/:partnerId/parcel-events", requirePartner(deps));
  app.use("/v1/partners/:partnerId/parcel-events/:waybillNo", requirePartner(deps));

  app.post("/v1/partners/:partnerId/parcel-events", async (c) => {
    const partner = c.get("partner");
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new AppError("VALIDATION_FAILED", "the Idempotency-Key header is not valid", [
        { path: "Idempotency-Key", message: "1 to 255 printable ASCII characters" },
      ]);
    }
    const { raw, value } = await readJsonBody(c);
    const batch = parseBatchBody(ParcelEventBatchSchema, value, "{ events: [1..1000 items] }");
    const answer = await receiveParcelEvents(deps, partner, batch.events, {
      idempotency: key
        ? {
            scope: partner.mode === "test" ? `${partner.partnerId}:test` : partner.partnerId,
            key,
            requestHash: requestDigest(raw),
          }
        : undefined,
      traceId: c.get("requestId"),
    });
    const counts: Record<string, number> = {};
    for (const r of answer.body.results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    c.get("log").info(
      { partnerId: partner.partnerId, replayed: answer.replayed, ...counts },
      "parcel events",
    );
    if (answer.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(answer.body, answer.status as 200);
  });

  return app.openapi(getWaybillRoute, async (c) => {
    const { waybillNo } = c.req.valid("param");
    return c.json(await getParcelEvents(deps, c.get("partner"), waybillNo), 200);
  });
}
