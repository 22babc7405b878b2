import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  createOfficer,
  disableOfficer,
  enableOfficer,
  listOfficers,
  MIN_PASSWORD_LENGTH,
  OFFICER_ROLES,
  resetOfficerPassword,
  setOfficerOnDuty,
  updateOfficer,
} from "../../auth/officers";
import type { Deps } from "../../deps";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idParam, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const params = idParam("officer");

const OfficerSchema = z
  .object({
    id: idSchema("officer"),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(OFFICER_ROLES),
    postId: idSchema("post").nullable(),
    phone: z.string().nullable().openapi({ description: "Masked" }),
    onDuty: z.boolean(),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("Officer");

const adminOnly = errorResponses({ 401: "Not logged in", 403: "Only admins manage officers" });
const notFound = errorResponses({ 404: "No such officer at the admin's station" });

const createOfficerRoute = createRoute({
  method: "post",
  path: "/v1/officers",
  operationId: "createOfficer",
  tags: tag("Officers"),
  summary: "Create an officer at the admin's station",
  description:
    "Without a password, one is generated and returned once as initialPassword; it is never shown again. Either way the officer must choose their own at first login (POST /v1/auth/password).",
  security: SECURITY.officer,
  request: {
    body: jsonBody(
      z.object({
        username: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, "3-64 lower-case letters, digits, '.', '_' or '-'"),
        displayName: z.string().trim().min(1).max(100),
        role: z.enum(OFFICER_ROLES),
        postId: z.string().optional().openapi({ description: "Required for role officer" }),
        phone: z.string().max(32).optional().openapi({ description: "For notification SMS" }),
        password: z.string().min(MIN_PASSWORD_LENGTH).max(256).optional(),
      }),
    ),
  },
  responses: {
    201: json(
      z.object({ officer: OfficerSchema, initialPassword: z.string().optional() }),
      "The officer (and the generated password, once)",
    ),
    ...errorResponses({ 400: "Not a valid officer" }),
    ...adminOnly,
    ...errorResponses({ 409: "The username is taken" }),
  },
});

const listOfficersRoute = createRoute({
  method: "get",
  path: "/v1/officers",
  operationId: "listOfficers",
  tags: tag("Officers"),
  summary: "The station's officers (phones masked, no password hashes)",
  security: SECURITY.officer,
  responses: {
    200: json(z.object({ officers: z.array(OfficerSchema) }), "Officers by username"),
    ...adminOnly,
  },
});

const disableRoute = createRoute({
  method: "post",
  path: "/v1/officers/{id}/disable",
  operationId: "disableOfficer",
  tags: tag("Officers"),
  summary: "Disable an officer and end their sessions",
  security: SECURITY.officer,
  request: { params },
  responses: {
    200: json(OfficerSchema, "The disabled officer"),
    ...adminOnly,
    ...notFound,
    ...errorResponses({ 409: "Admins cannot disable themselves" }),
  },
});

const resetRoute = createRoute({
  method: "post",
  path: "/v1/officers/{id}/reset-password",
  operationId: "resetOfficerPassword",
  tags: tag("Officers"),
  summary:
    "Give an officer a new generated password (returned once) and end their sessions; they must choose their own at next login",
  security: SECURITY.officer,
  request: { params },
  responses: {
    200: json(
      z.object({ officerId: idSchema("officer"), password: z.string() }),
      "The new password, shown this once",
    ),
    ...adminOnly,
    ...notFound,
  },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/v1/officers/{id}",
  operationId: "updateOfficer",
  tags: tag("Officers"),
  summary: "Change an officer's name, phone, post or role (audited; fields left out stay)",
  description:
    "A new role ends the officer's sessions. An officer (role officer) needs an enabled post; phone null removes the phone.",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(
      z
        .object({
          displayName: z.string().trim().min(1).max(100).optional(),
          phone: z.string().max(32).nullable().optional(),
          postId: z.string().min(1).max(64).nullable().optional(),
          role: z.enum(OFFICER_ROLES).optional(),
        })
        .strict(),
    ),
  },
  responses: {
    200: json(OfficerSchema, "The officer"),
    ...errorResponses({ 400: "Not a valid change; problem+json names the field" }),
    ...adminOnly,
    ...notFound,
    ...errorResponses({ 409: "Admins cannot change their own role" }),
  },
});

const enableRoute = createRoute({
  method: "post",
  path: "/v1/officers/{id}/enable",
  operationId: "enableOfficer",
  tags: tag("Officers"),
  summary: "Enable a disabled officer again (audited)",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(OfficerSchema, "The enabled officer"), ...adminOnly, ...notFound },
});

const dutyRoute = createRoute({
  method: "put",
  path: "/v1/officers/{id}/duty",
  operationId: "setOfficerDuty",
  tags: tag("Officers"),
  summary: "Set an officer's on-duty switch (audited)",
  description:
    "The switch officers mark themselves (POST /v1/officers/me/duty): it counts within the officer's shifts and covers, or always at a post without a roster.",
  security: SECURITY.officer,
  request: { params, body: jsonBody(z.object({ onDuty: z.boolean() })) },
  responses: {
    200: json(OfficerSchema, "The officer"),
    ...errorResponses({ 400: "Not a valid body" }),
    ...adminOnly,
    ...notFound,
    ...errorResponses({ 409: "A disabled officer cannot be on duty" }),
  },
});

export function officerRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/officers/*", requireOfficer(deps));
  return app
    .openapi(createOfficerRoute, async (c) => {
      const result = await createOfficer(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info(
        { officerId: result.officer.id, by: c.get("principal").officerId, role: result.officer.role },
        "officer created",
      );
      return c.json(result, 201);
    })
    .openapi(listOfficersRoute, async (c) =>
      c.json({ officers: await listOfficers(deps, c.get("principal")) }, 200),
    )
    .openapi(disableRoute, async (c) => {
      const officer = await disableOfficer(deps, c.get("principal"), c.req.valid("param").id);
      c.get("log").info({ officerId: officer.id, by: c.get("principal").officerId }, "officer disabled");
      return c.json(officer, 200);
    })
    .openapi(resetRoute, async (c) => {
      const result = await resetOfficerPassword(deps, c.get("principal"), c.req.valid("param").id);
      c.get("log").info(
        { officerId: result.officerId, by: c.get("principal").officerId },
        "officer password reset",
      );
      return c.json(result, 200);
    })
    .openapi(updateRoute, async (c) => {
      const officer = await updateOfficer(
        deps,
        c.get("principal"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      c.get("log").info({ officerId: officer.id, by: c.get("principal").officerId }, "officer updated");
      return c.json(officer, 200);
    })
    .openapi(enableRoute, async (c) => {
      const officer = await enableOfficer(deps, c.get("principal"), c.req.valid("param").id);
      c.get("log").info({ officerId: officer.id, by: c.get("principal").officerId }, "officer enabled");
      return c.json(officer, 200);
    })
    .openapi(dutyRoute, async (c) => {
      const { onDuty } = c.req.valid("json");
      const officer = await setOfficerOnDuty(deps, c.get("principal"), c.req.valid("param").id, onDuty);
      c.get("log").info(
        { officerId: officer.id, by: c.get("principal").officerId, onDuty },
        "officer duty set",
      );
      return c.json(officer, 200);
    });
}
