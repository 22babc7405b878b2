import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../../deps";
import { markOwnDuty } from "../../organisation/duty-self";
import { shiftsOverlap } from "../../organisation/roster";
import {
  createOverride,
  deleteOverride,
  getRoster,
  listOverrides,
  putRoster,
  whoIsOnDuty,
} from "../../organisation/roster-admin";
import { timestampWithOffset } from "../../timestamp-schema";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, json, jsonBody, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

/**
 * Duty rosters per post (src/organisation/roster.ts has the rule): weekly shifts in Asia/Shanghai time,
 * dated overrides, who is on duty now or at T, and an officer marking themselves on or off duty.
 */
const refusals = errorResponses({
  400: "Invalid input; problem+json names the field",
  401: "Not logged in",
  403: "Officers may not; changes are for admins",
  404: "No such post at your station",
});
// Posts' ids were never checked for their prefix (src/http/routes/jurisdiction.ts): unknown is a 404.
const PostParam = z.object({ id: z.string().min(1).max(64) });
const OverrideParam = PostParam.extend({ overrideId: z.string().min(1).max(64) });

const ShiftInput = z
  .object({
    dayOfWeek: z
      .number()
      .int()
      .min(1)
      .max(7)
      .openapi({ description: "ISO day the shift starts: 1 Monday … 7 Sunday" }),
    startMinute: z
      .number()
      .int()
      .min(0)
      .max(1439)
      .openapi({ description: "Minutes after midnight, Beijing time" }),
    endMinute: z.number().int().min(1).max(1440).openapi({
      description: "Not after startMinute: the shift ends the next day (20:00–08:00 is 1200–480)",
    }),
    officerIds: z.array(z.string().min(1).max(64)).max(50),
  })
  .superRefine((s, ctx) => {
    if (s.endMinute === s.startMinute)
      ctx.addIssue({ code: "custom", path: ["endMinute"], message: "a shift cannot end when it starts" });
    if (new Set(s.officerIds).size !== s.officerIds.length)
      ctx.addIssue({ code: "custom", path: ["officerIds"], message: "an officer is listed twice" });
  });
const RosterInput = z
  .object({
    shifts: z.array(ShiftInput).max(200),
    fallbackOfficerId: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: "A supervisor paged when nobody is on duty; null: the station's duty desk" }),
  })
  .superRefine((roster, ctx) => {
    // An officer cannot work two shifts of the post at once: one of them is a mistake.
    roster.shifts.forEach((b, j) => {
      const clash = roster.shifts.findIndex(
        (a, i) => i < j && a.officerIds.some((id) => b.officerIds.includes(id)) && shiftsOverlap(a, b),
      );
      if (clash >= 0)
        ctx.addIssue({
          code: "custom",
          path: ["shifts", j],
          message: `overlaps shifts.${clash} for the same officer`,
        });
    });
  });
const ShiftSchema = z
  .object({
    id: idSchema("rosterShift"),
    dayOfWeek: z.number().int(),
    startMinute: z.number().int(),
    endMinute: z.number().int(),
    officerIds: z.array(idSchema("officer")),
  })
  .openapi("RosterShift");
const RosterSchema = z
  .object({
    postId: idSchema("post"),
    fallbackOfficerId: idSchema("officer").nullable(),
    shifts: z.array(ShiftSchema),
  })
  .openapi("Roster");
const OverrideInput = z
  .object({
    officerId: z.string().min(1).max(64),
    kind: z.enum(["cover", "leave"]).openapi({ description: "cover: on duty here; leave: off duty here" }),
    startsAt: timestampWithOffset(),
    endsAt: timestampWithOffset(),
  })
  .superRefine((o, ctx) => {
    if (Date.parse(o.endsAt) <= Date.parse(o.startsAt))
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
  });
const OverrideSchema = z
  .object({
    id: idSchema("rosterOverride"),
    officerId: idSchema("officer"),
    kind: z.enum(["cover", "leave"]),
    startsAt: timestamp,
    endsAt: timestamp,
    createdBy: idSchema("officer"),
    createdAt: timestamp,
  })
  .openapi("RosterOverride");
const OnDutySchema = z
  .object({
    postId: idSchema("post"),
    at: timestamp,
    fallback: z
      .boolean()
      .openapi({ description: "Nobody was on duty: these officers are the post's fallback" }),
    officers: z.array(
      z.object({
        officerId: idSchema("officer"),
        displayName: z.string(),
        reason: z.enum(["shift", "override", "no_roster", "fallback"]),
        shiftId: z.string().optional(),
        overrideId: z.string().optional(),
        via: z.enum(["supervisor", "duty_desk"]).optional(),
      }),
    ),
  })
  .openapi("OnDuty");
const DutyStatusSchema = z
  .object({
    onDuty: z.boolean().openapi({ description: "The officer's own switch" }),
    onDutyAt: z
      .array(idSchema("post"))
      .openapi({ description: "Posts where the roster and the switch put them on duty now" }),
  })
  .openapi("DutyStatus");

const route = <R extends Parameters<typeof createRoute>[0]>(r: R) =>
  createRoute({ ...r, tags: tag("Rosters"), security: SECURITY.officer });

const getRosterRoute = route({
  method: "get",
  path: "/v1/posts/{id}/roster",
  operationId: "getRoster",
  summary: "The post's weekly shifts, their officers and its fallback (supervisors and admins)",
  request: { params: PostParam },
  responses: { 200: json(RosterSchema, "The roster"), ...refusals },
});
const putRosterRoute = route({
  method: "put",
  path: "/v1/posts/{id}/roster",
  operationId: "putRoster",
  summary: "Replace the post's weekly shifts (admins, audited)",
  description:
    "Times are Asia/Shanghai. An empty list of shifts removes the roster: the post goes back to its officers' on-duty switches.",
  request: { params: PostParam, body: jsonBody(RosterInput) },
  responses: { 200: json(RosterSchema, "The roster"), ...refusals },
});
const listOverridesRoute = route({
  method: "get",
  path: "/v1/posts/{id}/roster/overrides",
  operationId: "listRosterOverrides",
  summary: "The post's overrides that have not ended (supervisors and admins)",
  request: { params: PostParam },
  responses: { 200: json(z.object({ overrides: z.array(OverrideSchema) }), "Overrides"), ...refusals },
});
const createOverrideRoute = route({
  method: "post",
  path: "/v1/posts/{id}/roster/overrides",
  operationId: "createRosterOverride",
  summary:
    "Put an officer on duty at the post (cover) or off duty there (leave) for a time (admins, audited)",
  request: { params: PostParam, body: jsonBody(OverrideInput) },
  responses: { 201: json(OverrideSchema, "The override"), ...refusals },
});
const deleteOverrideRoute = route({
  method: "delete",
  path: "/v1/posts/{id}/roster/overrides/{overrideId}",
  operationId: "deleteRosterOverride",
  summary: "Remove an override (admins, audited)",
  request: { params: OverrideParam },
  responses: { 204: { description: "Removed" }, ...refusals },
});
const onDutyRoute = route({
  method: "get",
  path: "/v1/posts/{id}/on-duty",
  operationId: "getOnDuty",
  summary: "Who is paged at the post now or at `at`, and why (shift, override, no roster, fallback)",
  request: { params: PostParam, query: z.object({ at: timestampWithOffset().optional() }) },
  responses: { 200: json(OnDutySchema, "Who is on duty"), ...refusals },
});
const markDutyRoute = route({
  method: "post",
  path: "/v1/officers/me/duty",
  operationId: "markOwnDuty",
  summary: "Mark yourself on or off duty (audited)",
  description:
    "Off duty is refused (409) while you are the only officer on duty at a post you are rostered at: ask for a cover or leave override. On duty counts only within your shifts and covers.",
  request: { body: jsonBody(z.object({ onDuty: z.boolean() })) },
  responses: {
    200: json(DutyStatusSchema, "Your switch and where you are on duty now"),
    ...errorResponses({
      400: "Invalid input; problem+json names the field",
      401: "Not logged in",
      409: "You are the only officer on duty at a post; the problem names it",
    }),
  },
});

export function rosterRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/posts/:id/roster", requireOfficer(deps));
  app.use("/v1/posts/:id/roster/*", requireOfficer(deps));
  app.use("/v1/posts/:id/on-duty", requireOfficer(deps));
  app.use("/v1/officers/me/duty", requireOfficer(deps));
  return app
    .openapi(getRosterRoute, async (c) =>
      c.json(await getRoster(deps, c.get("principal"), c.req.valid("param").id), 200),
    )
    .openapi(putRosterRoute, async (c) => {
      const roster = await putRoster(deps, c.get("principal"), c.req.valid("param").id, c.req.valid("json"));
      c.get("log").info({ postId: roster.postId, by: c.get("principal").officerId }, "roster replaced");
      return c.json(roster, 200);
    })
    .openapi(listOverridesRoute, async (c) =>
      c.json({ overrides: await listOverrides(deps, c.get("principal"), c.req.valid("param").id) }, 200),
    )
    .openapi(createOverrideRoute, async (c) => {
      const input = c.req.valid("json");
      const created = await createOverride(deps, c.get("principal"), c.req.valid("param").id, {
        ...input,
        startsAt: new Date(input.startsAt),
        endsAt: new Date(input.endsAt),
      });
      return c.json(created, 201);
    })
    .openapi(deleteOverrideRoute, async (c) => {
      const { id, overrideId } = c.req.valid("param");
      await deleteOverride(deps, c.get("principal"), id, overrideId);
      return c.body(null, 204);
    })
    .openapi(onDutyRoute, async (c) => {
      const { at } = c.req.valid("query");
      const answer = await whoIsOnDuty(
        deps,
        c.get("principal"),
        c.req.valid("param").id,
        at ? new Date(at) : undefined,
      );
      return c.json(answer, 200);
    })
    .openapi(markDutyRoute, async (c) => {
      const status = await markOwnDuty(deps, c.get("principal"), c.req.valid("json").onDuty);
      c.get("log").info(
        { officerId: c.get("principal").officerId, onDuty: status.onDuty },
        "officer marked own duty",
      );
      return c.json(status, 200);
    });
}
