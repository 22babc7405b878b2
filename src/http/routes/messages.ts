import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { authenticate } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import { getMessageView, type MessageViewer } from "../../messages/view";
import { authenticatePartner } from "../../partners/authenticate";
import { API_KEY_PREFIX } from "../../partners/keys";
import { bearerToken, sessionToken } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idParam, idSchema, json, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const HistorySchema = z.object({ status: z.string(), at: timestamp, detail: z.string().nullable() });
const MessageSchema = z.object({
  id: idSchema("message"),
  lane: z.enum(["urgent", "bulk"]),
  purpose: z.string(),
  alertId: idSchema("alert").nullable(),
  partnerId: idSchema("partner").nullable(),
  to: z.string().describe("masked, e.g. 138****8000"),
  body: z.string().nullable().describe("null once purged, PII_RETENTION_DAYS after the message was created"),
  segments: z.number().int(),
  channel: z.string(),
  test: z.boolean().describe("a test-mode key's reminder: never sent, reported delivered"),
  status: z.enum(["queued", "submitted", "delivered", "failed", "expired", "suppressed"]),
  reason: z
    .string()
    .nullable()
    .describe(
      "why a queued message is held (per_number_cap, quota_exhausted, outcome_unknown) or was suppressed",
    ),
  notBefore: timestamp.nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  createdAt: timestamp,
  submittedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  history: z.array(HistorySchema),
});

const getMessageRoute = createRoute({
  method: "get",
  path: "/v1/messages/{id}",
  operationId: "getMessage",
  tags: tag("SMS"),
  summary: "One SMS and its history: queued → submitted → delivered | failed | expired, or suppressed",
  description:
    "Officers (session token) see the SMS of alerts they may see, supervisors and admins also their station's reminders; a partner (Authorization: Bearer <API key>) sees its own reminders.",
  security: SECURITY.bearer,
  request: { params: idParam("message") },
  responses: {
    200: json(MessageSchema, "The message"),
    ...errorResponses({
      400: "Not a message id",
      401: "No or unknown credentials",
      404: "No such message, or not one the caller may see",
    }),
  },
});

/** Officer session or partner API key, as `Authorization: Bearer` (partner keys start with `pk_`) or the session cookie. */
const officerOrPartner = (deps: Pick<Deps, "db" | "clock" | "config">) =>
  createMiddleware<AppEnv>(async (c, next) => {
    // A partner's API key, or an officer's session (Bearer or the console's cookie).
    const token = bearerToken(c.req.header("authorization")) ?? sessionToken(c);
    if (token?.startsWith(API_KEY_PREFIX)) {
      const partner = await authenticatePartner(deps, token);
      if (partner) {
        c.set("partner", partner);
        return next();
      }
    } else if (token) {
      const officer = await authenticate(deps, token);
      if (officer) {
        c.set("principal", officer);
        return next();
      }
    }
    throw new AppError("UNAUTHENTICATED", "send Authorization: Bearer <session token or API key>");
  });

export function messageRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/messages/*", officerOrPartner(deps));
  return app.openapi(getMessageRoute, async (c) => {
    const partner = c.get("partner") as AppEnv["Variables"]["partner"] | undefined;
    const viewer: MessageViewer = partner
      ? { partnerId: partner.partnerId }
      : { officer: c.get("principal") };
    const view = await getMessageView(deps, viewer, c.req.valid("param").id);
    return c.json(view, 200);
  });
}
