import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import {
  configureFeedSource,
  createFeedSource,
  listFeedSources,
  rotateFeedSourceSecret,
  setFeedSourceDisabled,
} from "../../feeds/admin";
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

const params = idParam("feedSource");

const FeedSourceSchema = z
  .object({
    id: idSchema("feedSource"),
    name: z.string(),
    callbackUrl: z.string().nullable(),
    disabledAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .openapi("FeedSource");

const settings = {
  name: z.string().trim().min(1).max(100),
  callbackUrl: z.string().max(2000).url().nullable().openapi({
    description:
      "Where feedback on the source's warnings is POSTed; https (http only in local mode). Null: feedback is pulled",
  }),
};

const adminOnly = errorResponses({ 401: "Not logged in", 403: "Only admins manage feed sources" });
const notFound = errorResponses({ 404: "No such feed source at the admin's station" });
const SecretSchema = z.string().openapi({
  description: 'The HMAC-SHA256 key for X-Signature (t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">)',
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/feed-sources",
  operationId: "listFeedSources",
  tags: tag("Feed sources"),
  summary: "The station's feed sources (never their secrets)",
  security: SECURITY.officer,
  responses: {
    200: json(z.object({ feedSources: z.array(FeedSourceSchema) }), "Feed sources by name"),
    ...adminOnly,
  },
});

const createSourceRoute = createRoute({
  method: "post",
  path: "/v1/feed-sources",
  operationId: "createFeedSource",
  tags: tag("Feed sources"),
  summary: "Register an upstream anti-fraud platform; its signing secret is returned once",
  security: SECURITY.officer,
  request: {
    body: jsonBody(z.object({ name: settings.name, callbackUrl: settings.callbackUrl.optional() })),
  },
  responses: {
    201: json(
      z.object({ source: FeedSourceSchema, secret: SecretSchema }),
      "The source, with its secret shown once",
    ),
    ...errorResponses({ 400: "Not a valid feed source" }),
    ...adminOnly,
  },
});

const configureRoute = createRoute({
  method: "patch",
  path: "/v1/feed-sources/{id}",
  operationId: "configureFeedSource",
  tags: tag("Feed sources"),
  summary: "Rename a feed source or set its callback URL (null clears it)",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(
      changes(z.object({ name: settings.name.optional(), callbackUrl: settings.callbackUrl.optional() })),
    ),
  },
  responses: {
    200: json(FeedSourceSchema, "The feed source"),
    ...errorResponses({ 400: "Not valid" }),
    ...adminOnly,
    ...notFound,
  },
});

const rotateRoute = createRoute({
  method: "post",
  path: "/v1/feed-sources/{id}/rotate-secret",
  operationId: "rotateFeedSourceSecret",
  tags: tag("Feed sources"),
  summary: "A new signing secret, returned once; the old one is refused from the next request on",
  security: SECURITY.officer,
  request: { params },
  responses: {
    200: json(
      z.object({ sourceId: idSchema("feedSource"), secret: SecretSchema }),
      "The new secret, shown once",
    ),
    ...adminOnly,
    ...notFound,
  },
});

const disableRoute = createRoute({
  method: "post",
  path: "/v1/feed-sources/{id}/disable",
  operationId: "disableFeedSource",
  tags: tag("Feed sources"),
  summary: "Disable a feed source: its warnings are refused (401) at once",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(FeedSourceSchema, "The feed source"), ...adminOnly, ...notFound },
});

const enableRoute = createRoute({
  method: "post",
  path: "/v1/feed-sources/{id}/enable",
  operationId: "enableFeedSource",
  tags: tag("Feed sources"),
  summary: "Enable a disabled feed source again",
  security: SECURITY.officer,
  request: { params },
  responses: { 200: json(FeedSourceSchema, "The feed source"), ...adminOnly, ...notFound },
});

/**
 * Feed-source administration for the station's admins. The sources themselves post to
 * `/v1/feeds/{sourceId}/warnings` with a signature, not a session; that is a different path prefix.
 */
export function feedSourceRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/feed-sources", requireOfficer(deps));
  app.use("/v1/feed-sources/*", requireOfficer(deps));
  return app
    .openapi(listRoute, async (c) =>
      c.json({ feedSources: await listFeedSources(deps, c.get("principal")) }, 200),
    )
    .openapi(createSourceRoute, async (c) => {
      const result = await createFeedSource(deps, c.get("principal"), c.req.valid("json"));
      c.get("log").info(
        { sourceId: result.source.id, by: c.get("principal").officerId },
        "feed source created",
      );
      return c.json(result, 201);
    })
    .openapi(configureRoute, async (c) => {
      const source = await configureFeedSource(
        deps,
        c.get("principal"),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      c.get("log").info({ sourceId: source.id, by: c.get("principal").officerId }, "feed source configured");
      return c.json(source, 200);
    })
    .openapi(rotateRoute, async (c) => {
      const { id } = c.req.valid("param");
      const result = await rotateFeedSourceSecret(deps, c.get("principal"), id);
      c.get("log").info({ sourceId: id, by: c.get("principal").officerId }, "feed source secret rotated");
      return c.json(result, 200);
    })
    .openapi(disableRoute, async (c) => {
      const source = await setFeedSourceDisabled(deps, c.get("principal"), c.req.valid("param").id, true);
      c.get("log").info({ sourceId: source.id, by: c.get("principal").officerId }, "feed source disabled");
      return c.json(source, 200);
    })
    .openapi(enableRoute, async (c) => {
      const source = await setFeedSourceDisabled(deps, c.get("principal"), c.req.valid("param").id, false);
      c.get("log").info({ sourceId: source.id, by: c.get("principal").officerId }, "feed source enabled");
      return c.json(source, 200);
    });
}
