import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import {
  createPost,
  createRule,
  deleteRule,
  listPosts,
  listRules,
  renamePost,
  setPostDisabled,
  tryRoute,
} from "../../organisation/jurisdiction";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const refusals = errorResponses({
  400: "Invalid input; problem+json names the field",
  401: "Not logged in",
  403: "Officers may not; changes are for admins",
});

const PostSchema = z
  .object({
    id: idSchema("post"),
    name: z.string(),
    isDutyDesk: z.boolean(),
    disabledAt: timestamp.nullable().openapi({ description: "Disabled posts get no new alerts" }),
    createdAt: timestamp,
  })
  .openapi("Post");
const PostInput = z.object({ name: z.string().trim().min(2).max(100) });
const RuleSchema = z
  .object({
    id: idSchema("rule"),
    kind: z.enum(["area_prefix", "address_keyword"]),
    pattern: z.string(),
    postId: idSchema("post"),
    createdAt: timestamp,
  })
  .openapi("JurisdictionRule");
const RuleInput = z
  .object({
    kind: z.enum(["area_prefix", "address_keyword"]),
    pattern: z.string().trim().min(2).max(50),
    postId: z.string().min(1).max(64),
  })
  .superRefine((rule, ctx) => {
    // Administrative division codes are digits; a prefix of one is too.
    if (rule.kind === "area_prefix" && !/^\d{2,12}$/.test(rule.pattern)) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: "an area prefix is 2 to 12 digits" });
    }
  });
// Posts' and rules' ids were never checked for their prefix here: an unknown id is a 404, whatever it looks like.
const IdParam = z.object({ id: z.string().min(1).max(64) });

const listPostsRoute = createRoute({
  method: "get",
  path: "/v1/posts",
  operationId: "listPosts",
  tags: tag("Jurisdiction"),
  summary: "The station's posts (supervisors and admins)",
  security: SECURITY.officer,
  responses: {
    200: json(z.object({ posts: z.array(PostSchema) }), "Posts"),
    ...refusals,
  },
});
const createPostRoute = createRoute({
  method: "post",
  path: "/v1/posts",
  operationId: "createPost",
  tags: tag("Jurisdiction"),
  summary: "Add a post to the admin's station (audited)",
  security: SECURITY.officer,
  request: { body: jsonBody(PostInput) },
  responses: {
    201: json(PostSchema, "The post"),
    ...refusals,
    ...errorResponses({ 409: "Another post of the station has this name" }),
  },
});
const renamePostRoute = createRoute({
  method: "patch",
  path: "/v1/posts/{id}",
  operationId: "renamePost",
  tags: tag("Jurisdiction"),
  summary: "Rename a post (audited)",
  security: SECURITY.officer,
  request: { params: IdParam, body: jsonBody(PostInput) },
  responses: {
    200: json(PostSchema, "The post"),
    ...refusals,
    ...errorResponses({
      404: "No such post at the admin's station",
      409: "Another post of the station has this name",
    }),
  },
});
const postSwitch = (action: "disable" | "enable") =>
  createRoute({
    method: "post",
    path: `/v1/posts/{id}/${action}`,
    operationId: action === "disable" ? "disablePost" : "enablePost",
    tags: tag("Jurisdiction"),
    summary:
      action === "disable"
        ? "Disable a post: its rules stop routing, it takes no transfers or new officers; its history stays (audited)"
        : "Enable a disabled post again (audited)",
    security: SECURITY.officer,
    request: { params: IdParam },
    responses: {
      200: json(PostSchema, "The post"),
      ...refusals,
      ...errorResponses({
        404: "No such post at the admin's station",
        ...(action === "disable" ? { 409: "The duty desk cannot be disabled" } : {}),
      }),
    },
  });
const disablePostRoute = postSwitch("disable");
const enablePostRoute = postSwitch("enable");

const listRulesRoute = createRoute({
  method: "get",
  path: "/v1/jurisdiction-rules",
  operationId: "listJurisdictionRules",
  tags: tag("Jurisdiction"),
  summary: "The station's routing rules (supervisors and admins)",
  security: SECURITY.officer,
  responses: {
    200: json(z.object({ rules: z.array(RuleSchema) }), "Rules"),
    ...refusals,
  },
});
const createRuleRoute = createRoute({
  method: "post",
  path: "/v1/jurisdiction-rules",
  operationId: "createJurisdictionRule",
  tags: tag("Jurisdiction"),
  summary: "Route an area-code prefix or an address keyword to a post (audited)",
  description:
    "The longest matching area prefix wins; failing that the longest address keyword in the address; failing that the duty desk. Applies to the next alert pushed.",
  security: SECURITY.officer,
  request: { body: jsonBody(RuleInput) },
  responses: {
    201: json(RuleSchema, "The rule"),
    ...refusals,
    ...errorResponses({ 409: "A rule with this kind and pattern exists" }),
  },
});
const deleteRuleRoute = createRoute({
  method: "delete",
  path: "/v1/jurisdiction-rules/{id}",
  operationId: "deleteJurisdictionRule",
  tags: tag("Jurisdiction"),
  summary: "Remove a routing rule (audited)",
  security: SECURITY.officer,
  request: { params: IdParam },
  responses: {
    204: { description: "Removed" },
    ...refusals,
    ...errorResponses({ 404: "No such rule at the admin's station" }),
  },
});
const AreaInput = z.object({
  area: z.object({
    code: z
      .string()
      .regex(/^\d{2,12}$/, "2 to 12 digits")
      .optional(),
    address: z.string().max(200).optional(),
  }),
});
const tryRouteRoute = createRoute({
  method: "post",
  path: "/v1/jurisdiction-rules/test",
  operationId: "tryJurisdictionRules",
  tags: tag("Jurisdiction"),
  summary: "Where an alert for this area would be routed now, and by which rule",
  security: SECURITY.officer,
  request: { body: jsonBody(AreaInput) },
  responses: {
    200: json(
      z.object({ postId: idSchema("post"), postName: z.string(), routedBy: z.string() }),
      "The post and the rule id (or duty_desk) that decided",
    ),
    ...refusals,
  },
});

/** Posts and routing rules of the station, under the officer session. */
export function jurisdictionRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  for (const path of ["/v1/posts", "/v1/posts/*", "/v1/jurisdiction-rules", "/v1/jurisdiction-rules/*"]) {
    app.use(path, requireOfficer(deps));
  }
  return app
    .openapi(listPostsRoute, async (c) => c.json({ posts: await listPosts(deps, c.get("principal")) }, 200))
    .openapi(createPostRoute, async (c) =>
      c.json(await createPost(deps, c.get("principal"), c.req.valid("json")), 201),
    )
    .openapi(renamePostRoute, async (c) =>
      c.json(await renamePost(deps, c.get("principal"), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(disablePostRoute, async (c) =>
      c.json(await setPostDisabled(deps, c.get("principal"), c.req.valid("param").id, true), 200),
    )
    .openapi(enablePostRoute, async (c) =>
      c.json(await setPostDisabled(deps, c.get("principal"), c.req.valid("param").id, false), 200),
    )
    .openapi(listRulesRoute, async (c) => c.json({ rules: await listRules(deps, c.get("principal")) }, 200))
    .openapi(tryRouteRoute, async (c) =>
      c.json(await tryRoute(deps, c.get("principal"), c.req.valid("json").area), 200),
    )
    .openapi(createRuleRoute, async (c) => {
      const rule = await createRule(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info({ ruleId: rule.id, by: c.get("principal").officerId }, "jurisdiction rule created");
      return c.json(rule, 201);
    })
    .openapi(deleteRuleRoute, async (c) => {
      await deleteRule(deps, c.get("principal"), c.req.valid("param").id);
      c.get("log").info(
        { ruleId: c.req.valid("param").id, by: c.get("principal").officerId },
        "jurisdiction rule deleted",
      );
      return c.body(null, 204);
    });
}
