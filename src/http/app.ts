import { OpenAPIHono } from "@hono/zod-openapi";
import { mountConsole } from "../console/surface";
import type { Deps } from "../deps";
import { mountApi } from "./api-surface";
import { withBase } from "./base-app";
import type { AppEnv } from "./env";
import type { Metrics } from "./metrics";

/**
 * The whole HTTP surface, as the station server (`npm start`) serves it: the JSON API and the console in one
 * app. The cloud serves the same two surfaces from two functions (functions/api.ts, functions/console.ts)
 * behind one API Gateway. Prometheus metrics (./metrics.ts) are the station server's, passed in by the local
 * runtime; the cloud watches its functions with CloudWatch and leaves prom-client out of its bundles.
 */
export function createApp(deps: Deps, metrics?: Metrics) {
  const app = withBase(new OpenAPIHono<AppEnv>(), deps, metrics);
  mountApi(app, deps);
  mountConsole(app, deps);
  return app;
}

export type App = ReturnType<typeof createApp>;
