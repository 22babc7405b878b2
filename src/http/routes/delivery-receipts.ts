import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import { idPattern } from "../../ids";
import { partnerChannelName } from "../../sms/channels/channel";
import { applyReceipt } from "../../sms/receipts/receipts";
import { bearerToken } from "../auth";
import type { AppEnv } from "../env";
import { readJsonBody } from "../json-body";
import { errorResponses, json, jsonBody, SECURITY, tag } from "../route-parts";
import { parseBatchBody } from "../validation";
import { authenticatePartnerWebhook } from "../webhook-auth";

const ReceiptSchema = z
  .object({
    providerMessageId: z.string().min(1).max(200).optional(),
    /** Our message id, for gateways that report by the client reference we sent. */
    // The prefix only, with zod's own message: this field never had one of its own.
    clientReference: z.string().regex(idPattern("message")).optional(),
    status: z.enum(["delivered", "failed"]),
    detail: z.string().max(500).optional(),
  })
  .refine((r) => r.providerMessageId || r.clientReference, {
    message: "give providerMessageId or clientReference",
    path: ["providerMessageId"],
  });

const BatchSchema = z.object({ receipts: z.array(ReceiptSchema).min(1).max(1000) });

const ResultSchema = z.object({
  index: z.number().int(),
  outcome: z.enum(["applied", "duplicate", "pending", "unmatched"]),
});

export function deliveryReceiptRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>();

  // Documented here, handled by hand: the signature option covers the raw body.
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/partners/{partnerId}/delivery-receipts",
    operationId: "postDeliveryReceipts",
    tags: tag("SMS"),
    summary: "Delivery receipts (回执) for SMS sent through the partner's own SMS API",
    description:
      "Authenticate with Authorization: Bearer <API key>, or sign the raw body with the partner's webhook secret: X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">. 1 to 1,000 receipts, each naming the message by the id the partner's API returned (providerMessageId) or by our message id sent as client reference. Idempotent: a receipt for a message that already has its final status is answered `duplicate` and changes nothing; one that arrives before we recorded the send is kept (`pending`) and applied when we do.",
    security: SECURITY.bearerOrSigned,
    request: { params: z.object({ partnerId: z.string() }), body: jsonBody(BatchSchema) },
    responses: {
      200: json(z.object({ results: z.array(ResultSchema) }), "One outcome per receipt, in order"),
      ...errorResponses({
        400: "Malformed JSON or a receipt without an id; nothing applied",
        401: "Unknown partner, API key or signature",
        404: "A valid API key of another partner",
        409: "The partner does not send through its own SMS API",
        413: "Body over 1 MiB",
        415: "Not application/json",
      }),
    },
  });

  app.post("/v1/partners/:partnerId/delivery-receipts", async (c) => {
    const { raw, value } = await readJsonBody(c);
    const partner = await authenticatePartnerWebhook(deps, c.req.param("partnerId"), {
      apiKey: bearerToken(c.req.header("authorization")),
      signature: c.req.header("x-signature"),
      rawBody: raw,
    });
    if (partner.channel !== "partner_http") {
      throw new AppError(
        "CONFLICT",
        "this partner's SMS are not sent through its own API; there is nothing to receipt",
      );
    }
    const batch = parseBatchBody(BatchSchema, value, "{ receipts: [1..1000 items] }");
    const channel = partnerChannelName(partner.partnerId);
    const results = [];
    for (const [index, r] of batch.receipts.entries()) {
      const outcome = await applyReceipt(deps.db, {
        channel,
        providerMessageId: r.providerMessageId,
        messageId: r.clientReference,
        status: r.status,
        detail: r.detail,
      });
      results.push({ index, outcome });
    }
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    c.get("log").info({ partnerId: partner.partnerId, ...counts }, "delivery receipts received");
    return c.json({ results }, 200);
  });
  return app;
}
