import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps";
import { jsonBodiesOnly } from "./content-type";
import { docsRoutes } from "./docs";
import type { AppEnv } from "./env";
import { apiDocument } from "./openapi";
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
 * The JSON API under /v1, its OpenAPI document and /docs: what feeds, partners, officers' apps and admins'
 * scripts call. The console is a surface of its own (src/console/surface.ts), so the cloud can serve each
 * from a function that bundles only its own code.
 */
export function mountApi(app: OpenAPIHono<AppEnv>, deps: Deps): void {
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

  const document = apiDocument(app);
  app.get("/openapi.json", (c) => c.json(document()));
  app.route("/", docsRoutes("antifraud-alerts"));
}
