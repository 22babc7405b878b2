import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { acknowledgeByReply } from "../../alerts/acknowledge-by-reply";
import { assertSupervisorOrAdmin } from "../../auth/roles";
import type { Deps } from "../../deps";
import { addOptOut, listOptOuts, removeOptOut } from "../../opt-outs/admin";
import { type InboundSource, recordInbound } from "../../opt-outs/inbound";
import { partnerQuotas } from "../../reports/partner-quotas";
import { bearerToken, requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { readJsonBody } from "../json-body";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { parseBatchBody, validationHook } from "../validation";
import { authenticatePartnerWebhook, authenticateProviderWebhook } from "../webhook-auth";

const NOT_LOGGED_IN = "Not logged in";
const NOT_ADMIN = "Not an admin";

const InboundSchema = z.object({
  messages: z
    .array(
      z.object({
        from: z.string().min(1).max(40),
        text: z.string().max(1000),
        id: z
          .string()
          .min(1)
          .max(100)
          .optional()
          .describe("the provider's id for the reply; a redelivered officer reply is answered once"),
      }),
    )
    .min(1)
    .max(1000),
});

const OptOutSchema = z.object({
  id: z.string().describe("opaque; use it to remove the opt-out"),
  to: z.string().describe("masked"),
  source: z.enum(["inbound", "admin"]),
  keyword: z.string().nullable(),
  createdAt: timestamp,
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/sms/opt-outs",
  operationId: "listOptOuts",
  tags: tag("SMS"),
  summary: "Numbers that opted out of reminders, recorded at the admin's station, newest first (admins)",
  security: SECURITY.bearer,
  request: {
    query: z.object({
      phone: z.string().max(40).optional(),
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: json(
      z.object({ optOuts: z.array(OptOutSchema), nextCursor: z.string().nullable() }),
      "A page; pass nextCursor as cursor for older ones",
    ),
    ...errorResponses({ 400: "Bad phone or cursor", 401: NOT_LOGGED_IN, 403: NOT_ADMIN }),
  },
});

const addRoute = createRoute({
  method: "post",
  path: "/v1/sms/opt-outs",
  operationId: "addOptOut",
  tags: tag("SMS"),
  summary: "Record an opt-out (admins); reminders to the number stop, warnings to potential victims do not",
  security: SECURITY.bearer,
  request: {
    body: jsonBody(z.object({ phone: z.string().min(1).max(40), reason: z.string().max(500).optional() })),
  },
  responses: {
    201: json(
      z.object({ id: z.string(), to: z.string(), created: z.boolean() }),
      "Recorded (created: false when the number had already opted out)",
    ),
    ...errorResponses({ 400: "Not a valid phone number", 401: NOT_LOGGED_IN, 403: NOT_ADMIN }),
  },
});

const removeRoute = createRoute({
  method: "delete",
  path: "/v1/sms/opt-outs/{id}",
  operationId: "removeOptOut",
  tags: tag("SMS"),
  summary: "Remove an opt-out (admins): the person asked for reminders again",
  security: SECURITY.bearer,
  request: {
    params: z.object({ id: z.string().min(1).max(100) }),
    query: z.object({ reason: z.string().max(500).optional() }),
  },
  responses: {
    204: { description: "Removed" },
    ...errorResponses({
      400: "The id or the reason is too long",
      401: NOT_LOGGED_IN,
      403: NOT_ADMIN,
      404: "No such opt-out at the admin's station",
    }),
  },
});

const quotasRoute = createRoute({
  method: "get",
  path: "/v1/sms/quotas",
  operationId: "getPartnerQuotas",
  tags: tag("SMS"),
  summary: "Today's SMS use of the station's partners against their daily quotas (supervisors, admins)",
  security: SECURITY.bearer,
  responses: {
    200: json(
      z.object({
        day: z.string(),
        resetsAt: timestamp,
        partners: z.array(
          z.object({
            partnerId: idSchema("partner"),
            name: z.string(),
            partsPerSecond: z.number(),
            dailyQuota: z.number(),
            usedParts: z.number(),
            state: z.enum(["ok", "warning", "exhausted"]),
          }),
        ),
      }),
      "`warning` from 80%; `exhausted`: bulk is held until the next Asia/Shanghai day",
    ),
    ...errorResponses({ 401: NOT_LOGGED_IN, 403: "Officers do not manage partners" }),
  },
});

export function smsRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/sms/inbound",
    operationId: "postInboundSms",
    tags: tag("SMS"),
    summary:
      "Replies from phones (上行短信), forwarded by a partner or our SMS provider; opt-out keywords recorded",
    description:
      "A partner sends X-Partner-Id and either Authorization: Bearer <API key> or an X-Signature made with its webhook secret; our provider signs with SMS_INBOUND_SECRET. R, T, TD, 退订 and STOP (any case, full- or half-width, with spaces and punctuation around) opt the sender out of reminders. A provider-forwarded `1` (or `1 <编号>`) from an enabled officer's registered phone acknowledges the alert of that officer's latest page (or the one named), and the officer is answered by SMS; other texts are acknowledged and dropped. A partner may opt out only numbers it has texted (a reminder sent for it or attached to its SMS): any other number refuses the batch with 403 NOT_YOUR_RECIPIENT naming messages[i].from, whether or not the number is known.",
    security: SECURITY.bearerOrSigned,
    request: {
      headers: z.object({ "x-partner-id": z.string().optional(), "x-signature": z.string().optional() }),
      body: jsonBody(InboundSchema),
    },
    responses: {
      200: json(
        z.object({
          results: z.array(
            z.object({
              index: z.number().int(),
              optOut: z.string().nullable(),
              from: z.string().nullable(),
              error: z.string().optional(),
            }),
          ),
        }),
        "One result per message, in order; `from` masked",
      ),
      ...errorResponses({
        400: "Malformed body",
        401: "Unknown partner, API key or signature",
        403: "NOT_YOUR_RECIPIENT: an opt-out for a number this partner has not texted; nothing in the batch was recorded",
      }),
    },
  });

  app.post("/v1/sms/inbound", async (c) => {
    const { raw, value } = await readJsonBody(c);
    const partnerId = c.req.header("x-partner-id");
    let source: InboundSource;
    if (partnerId) {
      const partner = await authenticatePartnerWebhook(deps, partnerId, {
        apiKey: bearerToken(c.req.header("authorization")),
        signature: c.req.header("x-signature"),
        rawBody: raw,
      });
      source = { kind: "partner", partnerId: partner.partnerId, stationId: partner.stationId };
    } else {
      authenticateProviderWebhook(deps, c.req.header("x-signature"), raw);
      source = { kind: "provider" };
    }
    const parsed = parseBatchBody(InboundSchema, value, "{ messages: [1..1000 items] }");
    // Officers' pages go out through our provider, so only its replies can be an officer's 签收 (`1`).
    // Such a text is no opt-out keyword: recordInbound below answers it as any other reply, as before.
    let acknowledged = 0;
    if (source.kind === "provider") {
      for (const m of parsed.messages) {
        const outcome = await acknowledgeByReply(deps, { from: m.from, text: m.text, messageId: m.id });
        if (outcome && !outcome.refusal) acknowledged += 1;
      }
    }
    const results = await recordInbound(deps, source, parsed.messages);
    const optOuts = results.filter((r) => r.optOut).length;
    c.get("log").info(
      {
        source: source.kind === "partner" ? source.partnerId : "provider",
        messages: results.length,
        optOuts,
        acknowledged,
      },
      "inbound sms received",
    );
    return c.json({ results }, 200);
  });

  app.use("/v1/sms/opt-outs", requireOfficer(deps));
  app.use("/v1/sms/opt-outs/*", requireOfficer(deps));
  app.use("/v1/sms/quotas", requireOfficer(deps));

  return app
    .openapi(listRoute, async (c) =>
      c.json(await listOptOuts(deps, c.get("principal"), c.req.valid("query")), 200),
    )
    .openapi(addRoute, async (c) => {
      const result = await addOptOut(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info({ to: result.to, created: result.created }, "opt-out recorded by an admin");
      return c.json(result, 201);
    })
    .openapi(removeRoute, async (c) => {
      await removeOptOut(deps, c.get("principal"), c.req.valid("param").id, c.req.valid("query").reason);
      return c.body(null, 204);
    })
    .openapi(quotasRoute, async (c) => {
      const principal = c.get("principal");
      assertSupervisorOrAdmin(principal, "quotas are for supervisors and admins");
      return c.json(await partnerQuotas(deps, principal.stationId), 200);
    });
}
