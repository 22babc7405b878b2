import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Deps } from "../deps";
import { newId } from "../ids";
import { bodyGuard } from "./body-guard";
import { noStoreByDefault } from "./cache";
import type { AppEnv } from "./env";
import type { Metrics } from "./metrics";
import { hasMetricsToken } from "./metrics-token";
import { parameterGuard } from "./param-guard";
import { handleError, problem } from "./problem";

/**
 * What every HTTP surface shares, whichever routes it then serves (./app.ts: all of them; the cloud's API and
 * console functions: one each): request ids and logging, no caching by default, the parameter and body guards,
 * problem+json for every error, /healthz, and /metrics when the station server passes its metrics in. The app
 * is passed in: the API needs OpenAPIHono for its document, the console a plain Hono without the OpenAPI
 * generator in its bundle.
 */
export function withBase<A extends Hono<AppEnv>>(app: A, deps: Deps, metrics?: Metrics): A {
  if (metrics) app.use(metrics.observe);
  app.use(requestId({ generator: () => newId("request") }));
  app.use(async (c, next) => {
    const log = deps.log.child({ requestId: c.get("requestId") });
    c.set("log", log);
    const started = performance.now();
    await next();
    log.debug(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });
  app.use(noStoreByDefault());
  // Every parameter and body is checked here, before any route authenticates or validates it.
  app.use(parameterGuard());
  app.use(bodyGuard());

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const status = Math.min(error.status, 500) as ContentfulStatusCode;
      return problem(c, status, status === 400 ? "MALFORMED_JSON" : "HTTP_ERROR", error.message);
    }
    return handleError(error, c, c.get("log") ?? deps.log);
  });
  app.notFound((c) => problem(c, 404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`));

  const metricsToken = deps.config.METRICS_TOKEN;
  if (metrics && metricsToken) {
    app.get("/metrics", async (c) => {
      if (!hasMetricsToken(c.req.header("authorization"), metricsToken)) {
        return problem(c, 401, "UNAUTHENTICATED", "metrics need Authorization: Bearer <METRICS_TOKEN>");
      }
      const { contentType, body } = await metrics.render();
      return c.body(body, 200, { "content-type": contentType });
    });
  }

  app.get("/healthz", async (c) => {
    await deps.db.execute(sql`select 1`);
    return c.json({ status: "ok" });
  });
  return app;
}
