import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ESCALATION_TARGETS, RISK_LEVELS } from "../../../schema";
import type { Deps } from "../../deps";
import { listPolicies, putPolicy, resetPolicy } from "../../organisation/escalation-policies";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

/**
 * Escalation policies per risk level (src/organisation/escalation-policies.ts): the steps paged one after the
 * other while an alert's deadline stays missed, each with its own wait. Acknowledging stops the chain.
 */
const refusals = errorResponses({
  400: "Invalid input; problem+json names the field",
  401: "Not logged in",
  403: "Officers may not read them; only admins change them",
});
const LevelParam = z.object({
  riskLevel: z.enum(RISK_LEVELS).openapi({ param: { name: "riskLevel", in: "path" }, example: "critical" }),
});

const TargetInput = z
  .object({
    kind: z.enum(ESCALATION_TARGETS).openapi({
      description:
        "on_duty: the post's on-duty officers (or its fallback); post_all: every officer of the post, on duty or not; supervisors: the station's supervisors; duty_desk: whoever is on duty at the station's duty desk; officer: the officer named in officerId",
    }),
    officerId: z.string().min(1).max(64).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.kind === "officer" && !t.officerId)
      ctx.addIssue({ code: "custom", path: ["officerId"], message: "name the officer to page" });
    if (t.kind !== "officer" && t.officerId)
      ctx.addIssue({
        code: "custom",
        path: ["officerId"],
        message: "only an officer target names an officer",
      });
  });
const StepInput = z.object({
  targets: z.array(TargetInput).min(1).max(10),
  waitMinutes: z.number().int().min(1).max(1440).openapi({
    description:
      "How long this step waits for an acknowledgement before the next is paged; the last step repeats after it",
  }),
});
const PolicyInput = z.object({ steps: z.array(StepInput).min(1).max(10) }).openapi({
  example: {
    steps: [
      { targets: [{ kind: "on_duty" }], waitMinutes: 2 },
      { targets: [{ kind: "post_all" }, { kind: "supervisors" }], waitMinutes: 5 },
      { targets: [{ kind: "duty_desk" }], waitMinutes: 10 },
    ],
  },
});
const PolicySchema = z
  .object({
    riskLevel: z.enum(RISK_LEVELS),
    default: z.boolean().openapi({ description: "No policy written for this level: the default applies" }),
    steps: z.array(
      z.object({
        targets: z.array(
          z.object({ kind: z.enum(ESCALATION_TARGETS), officerId: idSchema("officer").optional() }),
        ),
        waitMinutes: z.number().int(),
      }),
    ),
    updatedBy: idSchema("officer").nullable(),
    updatedAt: timestamp.nullable(),
  })
  .openapi("EscalationPolicy");

const route = <R extends Parameters<typeof createRoute>[0]>(r: R) =>
  createRoute({ ...r, tags: tag("Escalation"), security: SECURITY.officer });

const listRoute = route({
  method: "get",
  path: "/v1/escalation-policies",
  operationId: "listEscalationPolicies",
  summary: "The station's escalation policy for each risk level (supervisors and admins)",
  description:
    "A missed deadline begins the chain: the first step is paged and the alert's risk level raised one step. Each step's wait later, if the alert is still not moved on, the next step is paged; past the last step, the last step is paged again. An officer's next step (acknowledging, first contact, a transfer) ends the chain. A level without a written policy follows the default: the post's on-duty officers and the station's supervisors, every ESCALATION_REMIND_MINUTES.",
  responses: { 200: json(z.object({ policies: z.array(PolicySchema) }), "The four policies"), ...refusals },
});
const putRoute = route({
  method: "put",
  path: "/v1/escalation-policies/{riskLevel}",
  operationId: "putEscalationPolicy",
  summary: "Replace the level's escalation policy (admins, audited)",
  description: "Alerts already escalating go on with the new steps from where they are.",
  request: { params: LevelParam, body: jsonBody(PolicyInput) },
  responses: { 200: json(PolicySchema, "The policy"), ...refusals },
});
const resetRoute = route({
  method: "delete",
  path: "/v1/escalation-policies/{riskLevel}",
  operationId: "resetEscalationPolicy",
  summary: "Go back to the default policy for the level (admins, audited)",
  request: { params: LevelParam },
  responses: { 204: { description: "The default applies" }, ...refusals },
});

export function escalationPolicyRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/escalation-policies", requireOfficer(deps));
  app.use("/v1/escalation-policies/*", requireOfficer(deps));
  return app
    .openapi(listRoute, async (c) => c.json({ policies: await listPolicies(deps, c.get("principal")) }, 200))
    .openapi(putRoute, async (c) => {
      const { riskLevel } = c.req.valid("param");
      const policy = await putPolicy(deps, c.get("principal"), riskLevel, c.req.valid("json").steps);
      c.get("log").info({ riskLevel, by: c.get("principal").officerId }, "escalation policy replaced");
      return c.json(policy as z.infer<typeof PolicySchema>, 200);
    })
    .openapi(resetRoute, async (c) => {
      await resetPolicy(deps, c.get("principal"), c.req.valid("param").riskLevel);
      return c.body(null, 204);
    });
}
