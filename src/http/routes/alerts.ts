import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ALERT_STAGES, CONTACT_CHANNELS, OUTCOMES, RISK_LEVELS } from "../../../schema";
import { listAlerts } from "../../alerts/list";
import { revealSubjectPhone } from "../../alerts/reveal";
import { type ActionResult, acknowledgeAlert, logContactAttempt, recordOutcome } from "../../alerts/verify";
import { alertView, getAlertView } from "../../alerts/view";
import { isFinalOutcome } from "../../alerts/workflow";
import type { Deps } from "../../deps";
import { timestampWithOffset } from "../../timestamps";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { security } from "../openapi";
import { validationHook } from "../validation";

const params = z.object({ id: z.string().regex(/^alr_/, "an alert id starts with alr_") });
const AlertViewSchema = z.object({}).passthrough().openapi("AlertView", {
  description:
    "The alert with its warnings, SMS, contact attempts, timeline (who did what when), stage times, outcome, amounts (fen), deadline and version. The subject phone is masked.",
});
const alertResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: AlertViewSchema } },
});
const refusals = {
  401: { description: "Not logged in" },
  403: { description: "Admins do not handle alerts" },
  404: { description: "No such alert, or not one the caller may see" },
};
const transitionRefusals = {
  ...refusals,
  409: {
    description:
      "INVALID_TRANSITION: the alert's stage does not allow this (nothing changed); CONFLICT: it changed since expectedVersion, or another officer changed it at the same moment",
  },
};
/** Fen are whole numbers; a safe integer keeps them exact in JSON and in bigint columns. */
const fen = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
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

const SubjectSchema = z.object({
  phone: z.string().nullable().openapi({ description: "Masked (138****8000); null once purged" }),
  name: z.string().nullable().openapi({ description: "Masked" }),
  purgedAt: z.string().nullable().openapi({
    description: "When the personal fields were deleted, PII_RETENTION_DAYS after the alert closed",
  }),
});
const ListItemSchema = z.object({
  id: z.string(),
  stage: z.enum(ALERT_STAGES),
  type: z.string(),
  fraudType: z.string(),
  riskLevel: z.enum(RISK_LEVELS),
  subject: SubjectSchema,
  area: z.object({ code: z.string().nullable(), address: z.string().nullable() }),
  postId: z.string().nullable(),
  receivedAt: z.string(),
  acknowledgedBy: z.string().nullable(),
  outcome: z.enum(OUTCOMES).nullable(),
  visitRequired: z.boolean(),
  deadline: z.object({ kind: z.string(), at: z.string() }).nullable(),
  overdue: z.boolean(),
  escalated: z.boolean(),
  version: z.number().int(),
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/alerts",
  summary: "The caller's alerts, nearest deadline first (officers: their post; supervisors: the station)",
  security,
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: "A page of alerts; pass nextCursor as cursor for the next",
      content: {
        "application/json": {
          schema: z.object({ alerts: z.array(ListItemSchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    400: { description: "A filter or the cursor is not valid" },
    401: { description: "Not logged in" },
  },
});

const getAlertRoute = createRoute({
  method: "get",
  path: "/v1/alerts/{id}",
  summary: "An alert with its warnings, SMS, attempts, timeline and stage times (subject masked)",
  security,
  request: { params },
  responses: {
    200: alertResponse("The alert"),
    401: { description: "Not logged in" },
    404: { description: "No such alert, or not one the caller may see" },
  },
});

const acknowledgeRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/acknowledge",
  summary: "Claim the alert (签收). Repeating it for an alert you already claimed changes nothing",
  security,
  request: {
    params,
    body: { required: false, content: { "application/json": { schema: z.object({ expectedVersion }) } } },
  },
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
  summary: "Log a contact attempt; a missed call on a critical or high alert makes a visit owed",
  security,
  request: { params, body: { required: true, content: { "application/json": { schema: AttemptSchema } } } },
  responses: {
    200: alertResponse("The alert with the attempt"),
    400: { description: "Not a valid attempt" },
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
  summary: "Record the outcome: a final one closes the alert and feeds it back; the others keep it open",
  description:
    "Final: dissuaded, already_defrauded (amountLost required), aware_no_loss, not_fraud, duplicate. Open: unreachable (a visit becomes owed, with its own deadline), refused_or_denied (another attempt), wrong_subject (transferred to transferToPostId, unclaimed, its officers notified). Amounts in fen.",
  security,
  request: { params, body: { required: true, content: { "application/json": { schema: OutcomeSchema } } } },
  responses: {
    200: alertResponse("The alert with its outcome"),
    400: { description: "Not a valid outcome" },
    ...transitionRefusals,
  },
});

const revealRoute = createRoute({
  method: "post",
  path: "/v1/alerts/{id}/reveal-phone",
  summary: "The subject's full phone number; audited (who, when, why)",
  security,
  request: {
    params,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            reason: z.string().trim().min(2).max(500).openapi({ description: "Why the number is needed" }),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The number in E.164",
      content: { "application/json": { schema: z.object({ phone: z.string() }) } },
    },
    400: { description: "No reason given" },
    ...refusals,
    410: { description: "The number was deleted after the retention period (PII_RETENTION_DAYS)" },
  },
});

export function alertRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Also matches /v1/alerts itself.
  app.use("/v1/alerts/*", requireOfficer(deps));
  const view = (principal: AppEnv["Variables"]["principal"], id: string) =>
    getAlertView(deps, principal, id) as Promise<Record<string, unknown>>;
  /** The alert as the action left it (the caller may no longer see it: a transfer). */
  const after = (result: ActionResult) => alertView(deps, result.alert) as Promise<Record<string, unknown>>;

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
      const alert = await view(principal, c.req.valid("param").id);
      c.get("log").info({ alertId: alert.id, officerId: principal.officerId }, "alert viewed");
      return c.json(alert, 200);
    })
    .openapi(acknowledgeRoute, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = (c.req.valid("json") ?? {}) as { expectedVersion?: number };
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
