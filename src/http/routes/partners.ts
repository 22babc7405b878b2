import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import {
  configurePartner,
  createPartner,
  createPartnerKey,
  getPartner,
  listPartnerKeys,
  listPartners,
  PARTNER_CHANNELS,
  revokePartnerKey,
  rotateWebhookSecret,
  setPartnerDisabled,
} from "../../partners/admin";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import {
  changes,
  errorResponses,
  idParam,
  idSchema,
  json,
  jsonBody,
  SECURITY,
  tag,
  timestamp,
} from "../route-parts";
import { validationHook } from "../validation";

const params = idParam("partner");

const PartnerSchema = z
  .object({
    id: idSchema("partner"),
    name: z.string(),
    channel: z.enum(PARTNER_CHANNELS),
    partsPerSecond: z.number().int(),
    dailyQuota: z.number().int(),
    smsApi: z.record(z.string(), z.unknown()).nullable().openapi({ description: "Secrets show as (set)" }),
    webhookSecretSet: z.boolean(),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("Partner");

const KeyModeSchema = z.enum(["live", "test"]).openapi({
  description:
    "test: the same validation, decisions and read-backs as live, but nothing is sent to any channel (each " +
    "reminder is marked test and reported delivered), and nothing counts toward caps, quotas or reports of live traffic",
});

const KeySchema = z
  .object({ keyId: z.string(), mode: KeyModeSchema, createdAt: timestamp, revokedAt: timestamp.nullable() })
  .openapi("PartnerApiKey");

const settings = {
  name: z.string().trim().min(1).max(100),
  channel: z.enum(PARTNER_CHANNELS).openapi({
    description:
      "partner_http: we call the partner's SMS API (smsApi); sns: we send on its behalf through our channel; " +
      "attach: the reminder text is returned for the partner's own pickup SMS",
  }),
  partsPerSecond: z.number().int().min(1).max(10_000),
  dailyQuota: z.number().int().min(0).max(10_000_000),
  smsApi: z.record(z.string(), z.unknown()).nullable().openapi({
    description: "How to call the partner's SMS API (URL, auth, field mapping); secrets are stored sealed",
  }),
};

const adminOnly = errorResponses({ 401: "Not logged in", 403: "Only admins manage partners" });
const notFound = errorResponses({ 404: "No such partner at the admin's station" });

const createPartnerRoute = createRoute({
  method: "post",
  path: "/v1/partners",
  operationId: "createPartner",
  tags: tag("Partners"),
  summary: "Create a logistics partner; its first API key and webhook secret are returned once",
  security: SECURITY.officer,
  request: {
    body: jsonBody(
      z.object({
        name: settings.name,
        channel: settings.channel,
        partsPerSecond: settings.partsPerSecond.optional(),
        dailyQuota: settings.dailyQuota.optional(),
        smsApi: settings.smsApi.optional(),
      }),
    ),
  },
  responses: {
    201: json(
      z.object({ partner: PartnerSchema, apiKey: z.string(), keyId: z.string(), webhookSecret: z.string() }),
      "The partner, with credentials shown this once",
    ),
    ...errorResponses({ 400: "Not a valid partner" }),
    ...adminOnly,
  },
});

const listPartnersRoute = createRoute({
  method: "get",
  path: "/v1/partners",
  operationId: "listPartners",
  tags: tag("Partners"),
  summary: "The station's partners",
  security: SECURITY.officer,
  responses: { 200: json(z.object({ partners: z.array(PartnerSchema) }), "Partners by name"), ...adminOnly },
});

const getPartnerRoute = createRoute({
  method: "get",
  path: "/v1/partners/{id}",
  operationId: "getPartner",
  tags: tag("Partners"),
  summary: "One partner",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(PartnerSchema, "The partner"), ...adminOnly, ...notFound },
});

const configureRoute = createRoute({
  method: "patch",
  path: "/v1/partners/{id}",
  operationId: "configurePartner",
  tags: tag("Partners"),
  summary: "Configure a partner: name, channel, parts per second, daily quota, SMS API",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(
      changes(
        z.object({
          name: settings.name.optional(),
          channel: settings.channel.optional(),
          partsPerSecond: settings.partsPerSecond.optional(),
          dailyQuota: settings.dailyQuota.optional(),
          smsApi: settings.smsApi.optional(),
        }),
      ),
    ),
  },
  responses: {
    200: json(PartnerSchema, "The partner"),
    ...errorResponses({ 400: "Not valid" }),
    ...adminOnly,
    ...notFound,
  },
});

const disableRoute = createRoute({
  method: "post",
  path: "/v1/partners/{id}/disable",
  operationId: "disablePartner",
  tags: tag("Partners"),
  summary: "Disable a partner: its keys stop working at once",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(PartnerSchema, "The partner"), ...adminOnly, ...notFound },
});

const enableRoute = createRoute({
  method: "post",
  path: "/v1/partners/{id}/enable",
  operationId: "enablePartner",
  tags: tag("Partners"),
  summary: "Enable a disabled partner again",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(PartnerSchema, "The partner"), ...adminOnly, ...notFound },
});

const createKeyRoute = createRoute({
  method: "post",
  path: "/v1/partners/{id}/keys",
  operationId: "createPartnerKey",
  tags: tag("Partners"),
  summary: "Add an API key, live or test (rotation: existing keys keep working until revoked); returned once",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(z.object({ mode: KeyModeSchema.optional().openapi({ default: "live" }) }), {
      required: false,
    }),
  },
  responses: {
    201: json(
      z.object({ keyId: z.string(), apiKey: z.string(), mode: KeyModeSchema, createdAt: z.string() }),
      "The new key, shown once",
    ),
    ...adminOnly,
    ...notFound,
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/v1/partners/{id}/keys",
  operationId: "listPartnerKeys",
  tags: tag("Partners"),
  summary: "A partner's API keys (ids and dates; keys themselves are not stored)",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(z.object({ keys: z.array(KeySchema) }), "Oldest first"), ...adminOnly, ...notFound },
});

const revokeKeyRoute = createRoute({
  method: "post",
  path: "/v1/partners/{id}/keys/{keyId}/revoke",
  operationId: "revokePartnerKey",
  tags: tag("Partners"),
  summary: "Revoke an API key: requests with it are refused from now on",
  security: SECURITY.officer,
  request: { params: params.extend({ keyId: z.string().min(1).max(64) }) },
  responses: { 200: json(KeySchema, "The revoked key"), ...adminOnly, ...notFound },
});

const webhookSecretRoute = createRoute({
  method: "post",
  path: "/v1/partners/{id}/webhook-secret",
  operationId: "rotatePartnerWebhookSecret",
  tags: tag("Partners"),
  summary: "A new secret for the partner's webhooks (delivery receipts, inbound SMS), returned once",
  security: SECURITY.officer,
  request: { params },
  responses: {
    200: json(
      z.object({ partnerId: idSchema("partner"), webhookSecret: z.string() }),
      "The new secret, shown once",
    ),
    ...adminOnly,
    ...notFound,
  },
});

/**
 * Partner administration for the station's admins. Partners' own routes (`/v1/partners/{partnerId}/parcel-events`,
 * ...) authenticate with API keys instead, so the officer session is required path by path here, never on a
 * `/v1/partners/*` wildcard.
 */
export function partnerRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const officer = requireOfficer(deps);
  for (const path of [
    "/v1/partners",
    "/v1/partners/:id",
    "/v1/partners/:id/disable",
    "/v1/partners/:id/enable",
    "/v1/partners/:id/keys",
    "/v1/partners/:id/keys/:keyId/revoke",
    "/v1/partners/:id/webhook-secret",
  ]) {
    app.use(path, officer);
  }
  return app
    .openapi(createPartnerRoute, async (c) => {
      const result = await createPartner(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info(
        { partnerId: result.partner.id, by: c.get("principal").officerId, keyId: result.keyId },
        "partner created",
      );
      return c.json(result, 201);
    })
    .openapi(listPartnersRoute, async (c) =>
      c.json({ partners: await listPartners(deps, c.get("principal")) }, 200),
    )
    .openapi(getPartnerRoute, async (c) =>
      c.json(await getPartner(deps, c.get("principal"), c.req.valid("param").id), 200),
    )
    .openapi(configureRoute, async (c) => {
      const partner = await configurePartner(
        deps,
        c.get("principal"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      c.get("log").info({ partnerId: partner.id, by: c.get("principal").officerId }, "partner configured");
      return c.json(partner, 200);
    })
    .openapi(disableRoute, async (c) => {
      const partner = await setPartnerDisabled(deps, c.get("principal"), c.req.valid("param").id, true);
      c.get("log").info({ partnerId: partner.id, by: c.get("principal").officerId }, "partner disabled");
      return c.json(partner, 200);
    })
    .openapi(enableRoute, async (c) => {
      const partner = await setPartnerDisabled(deps, c.get("principal"), c.req.valid("param").id, false);
      c.get("log").info({ partnerId: partner.id, by: c.get("principal").officerId }, "partner enabled");
      return c.json(partner, 200);
    })
    .openapi(createKeyRoute, async (c) => {
      const { id } = c.req.valid("param");
      const key = await createPartnerKey(deps, c.get("principal"), id, c.req.valid("json")?.mode);
      c.get("log").info(
        { partnerId: id, keyId: key.keyId, mode: key.mode, by: c.get("principal").officerId },
        "partner key created",
      );
      return c.json(key, 201);
    })
    .openapi(listKeysRoute, async (c) =>
      c.json({ keys: await listPartnerKeys(deps, c.get("principal"), c.req.valid("param").id) }, 200),
    )
    .openapi(revokeKeyRoute, async (c) => {
      const { id, keyId } = c.req.valid("param");
      const key = await revokePartnerKey(deps, c.get("principal"), id, keyId);
      c.get("log").info({ partnerId: id, keyId, by: c.get("principal").officerId }, "partner key revoked");
      return c.json(key, 200);
    })
    .openapi(webhookSecretRoute, async (c) => {
      const { id } = c.req.valid("param");
      const result = await rotateWebhookSecret(deps, c.get("principal"), id);
      c.get("log").info(
        { partnerId: id, by: c.get("principal").officerId },
        "partner webhook secret rotated",
      );
      return c.json(result, 200);
    });
}
