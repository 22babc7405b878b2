import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getAlertView } from "../../alerts/view";
import type { Deps } from "../../deps";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { validationHook } from "../validation";

const getAlertRoute = createRoute({
  method: "get",
  path: "/v1/alerts/{id}",
  summary: "An alert with its warnings, SMS and stage times (subject masked)",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().regex(/^alr_/) }) },
  responses: {
    200: {
      description: "The alert",
      content: { "application/json": { schema: z.object({}).passthrough() } },
    },
    401: { description: "Not logged in" },
    404: { description: "No such alert, or not one the caller may see" },
  },
});

export function alertRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/alerts/*", requireOfficer(deps));
  return app.openapi(getAlertRoute, async (c) => {
    const view = await getAlertView(deps, c.get("principal"), c.req.valid("param").id);
    c.get("log").info({ alertId: view.id, officerId: c.get("principal").officerId }, "alert viewed");
    return c.json(view as Record<string, unknown>, 200);
  });
}
