import { OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { consoleRoutes } from "../console/routes";
import type { Deps } from "../deps";
import { newId } from "../ids";
import { bodyGuard } from "./body-guard";
import { noStoreByDefault } from "./cache";
import { jsonBodiesOnly } from "./content-type";
import { docsRoutes } from "./docs";
import type { AppEnv } from "./env";
import type { Metrics } from "./metrics";
import { hasMetricsToken } from "./metrics-token";
import { apiDocument } from "./openapi";
import { parameterGuard } from "./param-guard";
import { handleError, problem } from "./problem";
import { alertRoutes } from "./routes/alerts";
import { auditRoutes } from "./routes/audit";
import { authRoutes } from "./routes/auth";
import { campaignRoutes } from "./routes/campaigns";
import { deliveryReceiptRoutes } from "./routes/delivery-receipts";
import { devRoutes } from "./routes/dev";
import { escalationPolicyRoutes } from "./routes/escalation-policies";
import { feedSourceRoutes } from "./routes/feed-sources";
import { feedbackRoutes } from "./routes/feedback";
import { feedRoutes } from "./routes/feeds";
import { jurisdictionRoutes } from "./routes/jurisdiction";
import { messageEventRoutes } from "./routes/message-events";
import { messageRoutes } from "./routes/messages";
import { officerRoutes } from "./routes/officers";
import { parcelEventRoutes } from "./routes/parcel-events";
import { partnerRoutes } from "./routes/partners";
import { reportRoutes } from "./routes/reports";
import { rosterRoutes } from "./routes/roster";
import { smsRoutes } from "./routes/sms";
import { smsReportRoutes } from "./routes/sms-reports";

/**
 * The whole HTTP surface. The same app serves Node locally and API Gateway/Lambda in the cloud. Prometheus
 * metrics (./metrics.ts) are the station server's, passed in by the local runtime; the cloud watches its
 * functions with CloudWatch and leaves prom-client out of its bundle.
 */
export function createApp(deps: Deps, metrics?: Metrics) {
  const app = new OpenAPIHono<AppEnv>();

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

  app.use("/v1/*", jsonBodiesOnly);
  app.route("/", feedRoutes(deps));
  app.route("/", feedbackRoutes(deps));
  app.route("/", authRoutes(deps));
  app.route("/", alertRoutes(deps));
  app.route("/", auditRoutes(deps));
  app.route("/", officerRoutes(deps));
  app.route("/", jurisdictionRoutes(deps));
  app.route("/", rosterRoutes(deps));
  app.route("/", escalationPolicyRoutes(deps));
  app.route("/", partnerRoutes(deps));
  app.route("/", feedSourceRoutes(deps));
  app.route("/", parcelEventRoutes(deps));
  app.route("/", campaignRoutes(deps));
  app.route("/", smsReportRoutes(deps));
  app.route("/", reportRoutes(deps));
  app.route("/", messageRoutes(deps));
  app.route("/", smsRoutes(deps));
  app.route("/", deliveryReceiptRoutes(deps));
  app.route("/", messageEventRoutes(deps));
  if (deps.config.local) app.route("/", devRoutes(deps));
  app.route("/console", consoleRoutes(deps));
  app.get("/", (c) => c.redirect("/console"));

  const document = apiDocument(app);
  app.get("/openapi.json", (c) => c.json(document()));
  app.route("/", docsRoutes("antifraud-alerts"));
  return app;
}

export type App = ReturnType<typeof createApp>;
