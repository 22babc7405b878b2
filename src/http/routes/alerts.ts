import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ALERT_STAGES, CONTACT_CHANNELS, OUTCOMES, RISK_LEVELS } from "../../../schema";
import { listAlerts } from "../../alerts/list";
import { revealSubjectPhone } from "../../alerts/reveal";
import { type ActionResult, acknowledgeAlert, logContactAttempt, recordOutcome } from "../../alerts/verify";
import { alertView, getAlertView } from "../../alerts/view";
import { isFinalOutcome } from "../../alerts/workflow";
import type { Deps } from "../../deps";
import { timestampWithOffset } from "../../timestamp-schema";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idParam, json, jsonBody, SECURITY, tag } from "../route-parts";
import { AlertSummarySchema, AlertViewSchema, fen } from "../schemas/alerts";
import { validationHook } from "../validation";

const params = idParam("alert");
const alertResponse = (description: string) => json(AlertViewSchema, description);
const NOT_LOGGED_IN = "Not logged in";
const NOT_FOUND = "No such alert, or not one the caller may see";
const refusals = errorResponses({
  401: NOT_LOGGED_IN,
  403: "Admins do not handle alerts",
  404: NOT_FOUND,
});
const transitionRefusals = {
  ...refusals,
  ...errorResponses({
    409: "INVALID_TRANSITION: the alert's stage does not allow this (nothing changed); CONFLICT: it changed since expectedVersion, or another officer changed it at the same moment",
  }),
};
const expectedVersion = z
  .number()
  .int()
  .min(1)
  .optional()
  .openapi({ description: "The version the caller last saw; 409 CONFLICT if the alert changed since" });

const ListQuerySchema = z.object({
  stage: z.enum(ALERT_STAGES).optional(),
  riskLevel: z.enum(RISK_LEVELS).optional(),
  overdue: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "true: only alerts past their deadline" }),
  postId: z.string().optional(),
  from: timestampWithOffset().optional().openapi({ description: "receivedAt at or after" }),
  to: timestampWithOffset().optional().openapi({ description: "receivedAt before" }),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/alerts",
  operationId: "listAlerts",
  tags: tag("Alerts"),
  summary: "The caller's alerts, nearest deadline first (officers: their post; supervisors: the station)",
  security: SECURITY.officer,
  request: { query: ListQuerySchema },
  responses: {
    200: json(
      z.object({ alerts: z.array(AlertSummarySchema), nextCursor: z.string().nullable() }),
      "A page of alerts; pass nextCursor as cursor for the next",
    ),
    ...errorResponses({ 400: "A filter or the cursor is not valid", 401: NOT_LOGGED_IN }),
  },
});

const getAlertRoute = createRoute({
  method: "get",
  path: "/v1/alerts/{id}",
  operationId: "getAlert",
  tags: tag("Alerts"),
  summary: "An alert with its warnings, SMS, attempts, timeline and stage times (subject masked)",
  security: SECURITY.officer,
  request: { params },
  responses: {
    200: alertResponse("The alert"),
    ...errorResponses({ 400: "Not an alert id", 401: NOT_LOGGED_IN, 404: NOT_FOUND }),
  },
});

const acknowledgeRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/acknowledge",
  operationId: "acknowledgeAlert",
  tags: tag("Alerts"),
  summary: "Claim the alert (签收). Repeating it for an alert you already claimed changes nothing",
  security: SECURITY.officer,
  request: { params, body: jsonBody(z.object({ expectedVersion }), { required: false }) },
  responses: { 200: alertResponse("The acknowledged alert"), ...transitionRefusals },
});

const AttemptSchema = z.object({
  channel: z.enum(CONTACT_CHANNELS),
  reached: z.boolean(),
  note: z.string().trim().min(1).max(1000).optional(),
  expectedVersion,
});

const attemptRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/attempts",
  operationId: "logContactAttempt",
  tags: tag("Alerts"),
  summary: "Log a contact attempt; a missed call on a critical or high alert makes a visit owed",
  security: SECURITY.officer,
  request: { params, body: jsonBody(AttemptSchema) },
  responses: {
    200: alertResponse("The alert with the attempt"),
    ...errorResponses({ 400: "Not a valid attempt" }),
    ...transitionRefusals,
  },
});

/** Cross-field rules of an outcome; the state machine checks them again (src/alerts/workflow.ts). */
export const OutcomeSchema = z
  .object({
    outcome: z.enum(OUTCOMES),
    amountProtected: fen.optional().openapi({ description: "Loss averted, in fen (分)" }),
    amountLost: fen.optional().openapi({ description: "In fen; required for already_defrauded" }),
    note: z.string().trim().min(1).max(2000).optional(),
    transferToPostId: z
      .string()
      .optional()
      .openapi({ description: "Required for wrong_subject: the post of the same station to transfer to" }),
    expectedVersion,
  })
  .superRefine((body, ctx) => {
    const final = isFinalOutcome(body.outcome);
    for (const field of ["amountProtected", "amountLost"] as const) {
      if (body[field] !== undefined && !final) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `amounts belong to a final outcome, not ${body.outcome}`,
        });
      }
    }
    if (body.outcome === "already_defrauded" && body.amountLost === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["amountLost"],
        message: "required when the subject was already defrauded",
      });
    }
    if (body.outcome === "wrong_subject" && !body.transferToPostId) {
      ctx.addIssue({ code: "custom", path: ["transferToPostId"], message: "required for wrong_subject" });
    }
    if (body.outcome !== "wrong_subject" && body.transferToPostId !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["transferToPostId"],
        message: "only wrong_subject transfers the alert",
      });
    }
  });

const outcomeRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/outcome",
  operationId: "recordOutcome",
  tags: tag("Alerts"),
  summary: "Record the outcome: a final one closes the alert and feeds it back; the others keep it open",
  description:
    "Final: dissuaded, already_defrauded (amountLost required), aware_no_loss, not_fraud, duplicate. Open: unreachable (a visit becomes owed, with its own deadline), refused_or_denied (another attempt), wrong_subject (transferred to transferToPostId, unclaimed, its officers notified). Amounts in fen.",
  security: SECURITY.officer,
  request: { params, body: jsonBody(OutcomeSchema) },
  responses: {
    200: alertResponse("The alert with its outcome"),
    ...errorResponses({ 400: "Not a valid outcome" }),
    ...transitionRefusals,
  },
});

const revealRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/reveal-phone",
  operationId: "revealSubjectPhone",
  tags: tag("Alerts"),
  summary: "The subject's full phone number; audited (who, when, why)",
  security: SECURITY.officer,
  request: {
    params,
    body: jsonBody(
      z.object({
        reason: z.string().trim().min(2).max(500).openapi({ description: "Why the number is needed" }),
      }),
    ),
  },
  responses: {
    200: json(z.object({ phone: z.string() }), "The number in E.164"),
    ...errorResponses({ 400: "No reason given" }),
    ...refusals,
    ...errorResponses({
      410: "The number was deleted after the retention period (PII_RETENTION_DAYS)",
    }),
  },
});

export function alertRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Also matches /v1/alerts itself.
  app.use("/v1/alerts/*", requireOfficer(deps));
  /** The alert as the action left it (the caller may no longer see it: a transfer). */
  const after = (result: ActionResult) => alertView(deps, result.alert);

  return app
    .openapi(listRoute, async (c) => {
      const { overdue, from, to, ...rest } = c.req.valid("query");
      const page = await listAlerts(deps, c.get("principal"), {
        ...rest,
        overdue: overdue === "true",
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
      });
      return c.json(page, 200);
    })
    .openapi(getAlertRoute, async (c) => {
      const principal = c.get("principal");
      const alert = await getAlertView(deps, principal, c.req.valid("param").id);
      c.get("log").info({ alertId: alert.id, officerId: principal.officerId }, "alert viewed");
      return c.json(alert, 200);
    })
    .openapi(acknowledgeRoute, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json") ?? {};
      const result = await acknowledgeAlert(deps, principal, id, body);
      c.get("log").info(
        { alertId: id, officerId: principal.officerId, changed: result.changed },
        "alert acknowledged",
      );
      return c.json(await after(result), 200);
    })
    .openapi(attemptRoute, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const result = await logContactAttempt(deps, principal, id, body);
      c.get("log").info(
        { alertId: id, officerId: principal.officerId, channel: body.channel, reached: body.reached },
        "contact attempt logged",
      );
      return c.json(await after(result), 200);
    })
    .openapi(outcomeRoute, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const result = await recordOutcome(deps, principal, id, body);
      const { stage, postId } = result.alert;
      c.get("log").info(
        {
          alertId: id,
          officerId: principal.officerId,
          outcome: body.outcome,
          stage,
          postId,
          changed: result.changed,
        },
        "outcome recorded",
      );
      return c.json(await after(result), 200);
    })
    .openapi(revealRoute, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const result = await revealSubjectPhone(deps, principal, id, c.req.valid("json").reason);
      // The number itself is never logged; the audit log holds who, when and why.
      c.get("log").info({ alertId: id, officerId: principal.officerId }, "subject phone revealed");
      return c.json(result, 200);
    });
}
