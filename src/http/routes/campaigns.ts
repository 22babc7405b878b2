import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import {
  addTemplate,
  checkCampaignTemplate,
  createCampaign,
  getCampaign,
  listCampaigns,
  setTemplateDisabled,
  updateCampaign,
} from "../../parcels/campaigns";
import {
  isTemplateProblem,
  localizeTemplateProblems,
  type TemplateMessageLang,
} from "../../parcels/template-messages";
import { MAX_TEMPLATE_PARTS, OPT_OUT_WORDING } from "../../parcels/template-rules";
import {
  addTemplateSignature,
  listTemplateSignatures,
  removeTemplateSignature,
} from "../../parcels/template-signatures";
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
import { FieldErrorSchema } from "../schemas/problem";
import { validationHook } from "../validation";

const params = idParam("campaign");
const templateParams = params.extend({ templateId: idSchema("template") });

const TemplateSchema = z
  .object({
    id: idSchema("template"),
    body: z.string(),
    characters: z.number().int(),
    segments: z.number().int().openapi({ description: "Billed SMS parts (UCS-2: 70 single, 67 per part)" }),
    parts: z.array(z.string()).openapi({ description: "Each part as a phone receives it" }),
    uses: z.number().int().openapi({ description: "Reminders that used it (rotation counter)" }),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("CampaignTemplate");

const CampaignSchema = z
  .object({
    id: idSchema("campaign"),
    name: z.string(),
    areaPrefixes: z.array(z.string()),
    startsOn: z.string(),
    endsOn: z.string(),
    priority: z.number().int(),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
    templates: z.array(TemplateSchema),
  })
  .openapi("Campaign");

const fields = {
  name: z.string().trim().min(1).max(100),
  areaPrefixes: z
    .array(z.string().regex(/^\d{2,12}$/, "an administrative division code prefix (digits)"))
    .max(200)
    .openapi({ description: "Area code prefixes targeted; empty: the whole station" }),
  startsOn: z.iso.date().openapi({ description: "First day (Asia/Shanghai), YYYY-MM-DD" }),
  endsOn: z.iso.date().openapi({ description: "Last day (Asia/Shanghai), inclusive" }),
  priority: z.number().int().min(-1000).max(1000).openapi({
    description: "Higher goes first: an urgent campaign about a new scam pattern outranks the standing one",
  }),
};

const templateBody = z.object({
  body: z
    .string()
    .min(1)
    .max(1000)
    .openapi({
      description: `Starts with the signature 【...】, ends with ${OPT_OUT_WORDING}, no links, at most ${MAX_TEMPLATE_PARTS} parts`,
    }),
});

const errors = errorResponses({
  401: "Not logged in",
  403: "Only admins change campaigns (supervisors may read them)",
});
const notFound = errorResponses({ 404: "No such campaign (or template) at the station" });

const createCampaignRoute = createRoute({
  method: "post",
  path: "/v1/campaigns",
  operationId: "createCampaign",
  tags: tag("Campaigns"),
  summary: "Create a reminder campaign (add its templates next)",
  security: SECURITY.officer,
  request: { body: jsonBody(z.object({ ...fields, priority: fields.priority.default(0) })) },
  responses: {
    201: json(CampaignSchema, "The campaign"),
    ...errorResponses({ 400: "Not valid" }),
    ...errors,
  },
});

const listCampaignsRoute = createRoute({
  method: "get",
  path: "/v1/campaigns",
  operationId: "listCampaigns",
  tags: tag("Campaigns"),
  summary: "The station's campaigns with their templates, highest priority first",
  security: SECURITY.officer,
  responses: { 200: json(z.object({ campaigns: z.array(CampaignSchema) }), "Campaigns"), ...errors },
});

const getCampaignRoute = createRoute({
  method: "get",
  path: "/v1/campaigns/{id}",
  operationId: "getCampaign",
  tags: tag("Campaigns"),
  summary: "One campaign with its templates",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(CampaignSchema, "The campaign"), ...errors, ...notFound },
});

const updateCampaignRoute = createRoute({
  method: "patch",
  path: "/v1/campaigns/{id}",
  operationId: "updateCampaign",
  tags: tag("Campaigns"),
  summary: "Change a campaign's name, areas, dates or priority, or disable it (disabled: true)",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(
      changes(
        z.object({
          name: fields.name.optional(),
          areaPrefixes: fields.areaPrefixes.optional(),
          startsOn: fields.startsOn.optional(),
          endsOn: fields.endsOn.optional(),
          priority: fields.priority.optional(),
          disabled: z.boolean().optional(),
        }),
      ),
    ),
  },
  responses: {
    200: json(CampaignSchema, "The campaign"),
    ...errorResponses({ 400: "Not valid" }),
    ...errors,
    ...notFound,
  },
});

const addTemplateRoute = createRoute({
  method: "post",
  path: "/v1/campaigns/{id}/templates",
  operationId: "addCampaignTemplate",
  tags: tag("Campaigns"),
  summary:
    "Add a template to the campaign's rotation (validated: signature, opt-out wording, no links, parts)",
  security: SECURITY.officer,
  request: { params, body: jsonBody(templateBody) },
  responses: {
    201: json(TemplateSchema, "The template with its parts"),
    ...errorResponses({ 400: "The template breaks a rule; each problem is named under errors (path body)" }),
    ...errors,
    ...notFound,
  },
});

const templateStateRoute = (action: "disable" | "enable") =>
  createRoute({
    method: "post",
    path: `/v1/campaigns/{id}/templates/{templateId}/${action}`,
    operationId: action === "disable" ? "disableCampaignTemplate" : "enableCampaignTemplate",
    tags: tag("Campaigns"),
    summary: action === "disable" ? "Take a template out of rotation" : "Put a template back into rotation",
    security: SECURITY.officer,
    request: { params: templateParams },
    responses: { 200: json(TemplateSchema, "The template"), ...errors, ...notFound },
  });

const checkTemplateRoute = createRoute({
  method: "post",
  path: "/v1/campaign-templates/check",
  operationId: "checkCampaignTemplate",
  tags: tag("Campaigns"),
  summary: "Check a template text without saving it: problems, characters and billed parts",
  security: SECURITY.officer,
  request: { body: jsonBody(templateBody) },
  responses: {
    200: json(
      z.object({
        valid: z.boolean(),
        problems: z.array(FieldErrorSchema),
        characters: z.number().int(),
        encoding: z.string(),
        segments: z.number().int(),
        parts: z.array(z.string()),
      }),
      "The check",
    ),
    ...errors,
  },
});

const SignaturesSchema = z
  .object({
    own: z.string().openapi({ description: "The station's signature: always allowed" }),
    allowed: z.array(z.string()).openapi({ description: "Further signatures the admin allow-listed" }),
  })
  .openapi("TemplateSignatures");

const signatureBody = jsonBody(
  z.object({ signature: z.string().max(40).openapi({ example: "【三工派出所】" }) }),
);

const listSignaturesRoute = createRoute({
  method: "get",
  path: "/v1/campaign-signatures",
  operationId: "listTemplateSignatures",
  tags: tag("Campaigns"),
  summary: "Signatures a template may start with: the station's own and those allow-listed",
  security: SECURITY.officer,
  responses: { 200: json(SignaturesSchema, "The signatures"), ...errors },
});

const addSignatureRoute = createRoute({
  method: "post",
  path: "/v1/campaign-signatures",
  operationId: "addTemplateSignature",
  tags: tag("Campaigns"),
  summary: "Allow-list a further signature (registered with the carrier for this sender) for templates",
  security: SECURITY.officer,
  request: { body: signatureBody },
  responses: {
    200: json(SignaturesSchema, "The signatures"),
    ...errorResponses({ 400: "Not a signature like 【昌吉公安】, or the station's own" }),
    ...errors,
  },
});

const removeSignatureRoute = createRoute({
  method: "post",
  path: "/v1/campaign-signatures/remove",
  operationId: "removeTemplateSignature",
  tags: tag("Campaigns"),
  summary: "Take a signature off the allow-list: new templates with it are refused, stored ones stay",
  security: SECURITY.officer,
  request: { body: signatureBody },
  responses: {
    200: json(SignaturesSchema, "The signatures"),
    ...errors,
    ...errorResponses({ 404: "Not on the station's allow-list" }),
  },
});

/** Template refusals in Chinese for a caller that prefers it (Accept-Language: zh...), English otherwise. */
function messageLang(acceptLanguage: string | undefined): TemplateMessageLang {
  const first = (acceptLanguage ?? "").split(",")[0]?.trim().toLowerCase() ?? "";
  return first.startsWith("zh") ? "zh" : "en";
}

export function campaignRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/campaigns", requireOfficer(deps));
  app.use("/v1/campaigns/*", requireOfficer(deps));
  app.use("/v1/campaign-templates/*", requireOfficer(deps));
  app.use("/v1/campaign-signatures", requireOfficer(deps));
  app.use("/v1/campaign-signatures/*", requireOfficer(deps));
  const setTemplate = (disabled: boolean) =>
    (async (c) => {
      const { id, templateId } = c.req.valid("param");
      return c.json(await setTemplateDisabled(deps, c.get("principal"), id, templateId, disabled), 200);
    }) as Parameters<typeof app.openapi<ReturnType<typeof templateStateRoute>>>[1];
  return app
    .openapi(createCampaignRoute, async (c) => {
      const campaign = await createCampaign(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info({ campaignId: campaign.id, by: c.get("principal").officerId }, "campaign created");
      return c.json(campaign, 201);
    })
    .openapi(listCampaignsRoute, async (c) =>
      c.json({ campaigns: await listCampaigns(deps, c.get("principal")) }, 200),
    )
    .openapi(getCampaignRoute, async (c) =>
      c.json(await getCampaign(deps, c.get("principal"), c.req.valid("param").id), 200),
    )
    .openapi(updateCampaignRoute, async (c) => {
      const campaign = await updateCampaign(
        deps,
        c.get("principal"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      c.get("log").info({ campaignId: campaign.id, by: c.get("principal").officerId }, "campaign updated");
      return c.json(campaign, 200);
    })
    .openapi(addTemplateRoute, async (c) => {
      const { id } = c.req.valid("param");
      const template = await addTemplate(deps, c.get("principal"), id, c.req.valid("json").body).catch(
        (error: unknown) => {
          // Same paths and codes; the messages in the caller's language.
          if (!(error instanceof AppError) || !error.errors?.every(isTemplateProblem)) throw error;
          const lang = messageLang(c.req.header("accept-language"));
          throw new AppError(error.code, error.message, localizeTemplateProblems(error.errors, lang));
        },
      );
      c.get("log").info(
        { campaignId: id, templateId: template.id, segments: template.segments },
        "template added",
      );
      return c.json(template, 201);
    })
    .openapi(templateStateRoute("disable"), setTemplate(true))
    .openapi(templateStateRoute("enable"), setTemplate(false))
    .openapi(checkTemplateRoute, async (c) => {
      const check = await checkCampaignTemplate(deps, c.get("principal"), c.req.valid("json").body);
      const lang = messageLang(c.req.header("accept-language"));
      return c.json({ ...check, problems: localizeTemplateProblems(check.problems, lang) }, 200);
    })
    .openapi(listSignaturesRoute, async (c) =>
      c.json(await listTemplateSignatures(deps, c.get("principal")), 200),
    )
    .openapi(addSignatureRoute, async (c) =>
      c.json(await addTemplateSignature(deps, c.get("principal"), c.req.valid("json").signature), 200),
    )
    .openapi(removeSignatureRoute, async (c) =>
      c.json(await removeTemplateSignature(deps, c.get("principal"), c.req.valid("json").signature), 200),
    );
}
