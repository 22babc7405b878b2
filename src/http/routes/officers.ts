import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  createOfficer,
  disableOfficer,
  listOfficers,
  MIN_PASSWORD_LENGTH,
  OFFICER_ROLES,
  resetOfficerPassword,
} from "../../auth/officers";
import type { Deps } from "../../deps";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { security } from "../openapi";
import { validationHook } from "../validation";

const params = z.object({ id: z.string().regex(/^off_/, "an officer id starts with off_") });

const OfficerSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(OFFICER_ROLES),
    postId: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: "Masked" }),
    onDuty: z.boolean(),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Officer");

const adminOnly = {
  401: { description: "Not logged in" },
  403: { description: "Only admins manage officers" },
};

const createOfficerRoute = createRoute({
  method: "post",
  path: "/v1/officers",
  summary: "Create an officer at the admin's station",
  description:
    "Without a password, one is generated and returned once as initialPassword; it is never shown again. Either way the officer must choose their own at first login (POST /v1/auth/password).",
  security,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            username: z
              .string()
              .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, "3-64 lower-case letters, digits, '.', '_' or '-'"),
            displayName: z.string().trim().min(1).max(100),
            role: z.enum(OFFICER_ROLES),
            postId: z.string().optional().openapi({ description: "Required for role officer" }),
            phone: z.string().max(32).optional().openapi({ description: "For notification SMS" }),
            password: z.string().min(MIN_PASSWORD_LENGTH).max(256).optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: "The officer (and the generated password, once)",
      content: {
        "application/json": {
          schema: z.object({ officer: OfficerSchema, initialPassword: z.string().optional() }),
        },
      },
    },
    400: { description: "Not a valid officer" },
    ...adminOnly,
    409: { description: "The username is taken" },
  },
});

const listOfficersRoute = createRoute({
  method: "get",
  path: "/v1/officers",
  summary: "The station's officers (phones masked, no password hashes)",
  security,
  responses: {
    200: {
      description: "Officers by username",
      content: { "application/json": { schema: z.object({ officers: z.array(OfficerSchema) }) } },
    },
    ...adminOnly,
  },
});

const disableRoute = createRoute({
  method: "post",
  path: "/v1/officers/{id}/disable",
  summary: "Disable an officer and end their sessions",
  security,
  request: { params },
  responses: {
    200: { description: "The disabled officer", content: { "application/json": { schema: OfficerSchema } } },
    ...adminOnly,
    404: { description: "No such officer at the admin's station" },
    409: { description: "Admins cannot disable themselves" },
  },
});

const resetRoute = createRoute({
  method: "post",
  path: "/v1/officers/{id}/reset-password",
  summary:
    "Give an officer a new generated password (returned once) and end their sessions; they must choose their own at next login",
  security,
  request: { params },
  responses: {
    200: {
      description: "The new password, shown this once",
      content: { "application/json": { schema: z.object({ officerId: z.string(), password: z.string() }) } },
    },
    ...adminOnly,
    404: { description: "No such officer at the admin's station" },
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
    });
}
