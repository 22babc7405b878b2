import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { assertSupervisorOrAdmin } from "../../auth/roles";
import { addDays, shanghaiDate } from "../../calendar";
import type { Deps } from "../../deps";
import { type SmsReportQuery, smsReport, smsReportCsv } from "../../parcels/report";
import { partnerOf } from "../../partners/admin";
import { DEFAULT_RANGE_DAYS } from "../../reports/day-range";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { requirePartner } from "../partner-auth";
import { errorResponses, idSchema, SECURITY, tag } from "../route-parts";
import { validationHook } from "../validation";

const RowSchema = z
  .object({
    day: z.string(),
    partnerId: idSchema("partner"),
    partnerName: z.string(),
    eventsReceived: z.number().int(),
    scheduled: z.number().int(),
    attached: z.number().int(),
    deferred: z.number().int(),
    suppressed: z.number().int(),
    suppressedByReason: z.record(z.string(), z.number().int()),
    submitted: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int(),
    expired: z.number().int(),
    deliveryRate: z.number().nullable(),
    medianSubmitToDeliveredSeconds: z.number().nullable(),
    uniqueRecipientsReached: z.number().int(),
    partsUsed: z.number().int(),
  })
  .openapi("SmsReportRow");

const ReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  rows: z.array(RowSchema),
});

const range = {
  from: z.iso
    .date()
    .optional()
    .openapi({ description: "First day, Asia/Shanghai (YYYY-MM-DD); default 6 days before `to`" }),
  to: z.iso.date().optional().openapi({ description: "Last day, inclusive; default today (Asia/Shanghai)" }),
};

/** The same default range as every report (src/reports/day-range.ts): today and the days before it, Asia/Shanghai. */
function days(now: Date, query: { from?: string; to?: string }) {
  const to = query.to ?? shanghaiDate(now);
  return { from: query.from ?? addDays(to, 1 - DEFAULT_RANGE_DAYS), to };
}

const description =
  "Per Asia/Shanghai day and partner: events received, reminders scheduled, attached, deferred, suppressed " +
  "(by reason), SMS submitted, delivered, failed, expired, delivery rate, median submit-to-delivered time, unique " +
  "recipients reached and parts used. Event figures count by the day received, SMS figures by the day the " +
  "reminder entered the bulk lane. `Accept: text/csv` for CSV.";

const responses = {
  200: {
    description: "The report",
    content: { "application/json": { schema: ReportSchema }, "text/csv": { schema: z.string() } },
  },
  ...errorResponses({ 400: "Not a valid range (at most 366 days)", 401: "Not authenticated" }),
};

const stationReportRoute = createRoute({
  method: "get",
  path: "/v1/reports/sms",
  operationId: "getStationSmsReport",
  tags: tag("Reports"),
  summary: "Courier + SMS report for the station's partners (supervisors and admins)",
  description,
  security: SECURITY.officer,
  request: { query: z.object({ ...range, partnerId: z.string().optional() }) },
  responses: {
    ...responses,
    ...errorResponses({
      403: "Officers at posts do not see partner reports",
      404: "partnerId is not a partner of the station",
    }),
  },
});

const partnerReportRoute = createRoute({
  method: "get",
  path: "/v1/partners/{partnerId}/reports/sms",
  operationId: "getPartnerSmsReport",
  tags: tag("Reports"),
  summary: "The same report for the calling partner only (API key)",
  description,
  security: SECURITY.bearer,
  request: { params: z.object({ partnerId: z.string() }), query: z.object(range) },
  responses: { ...responses, ...errorResponses({ 404: "Another partner's id" }) },
});

export function smsReportRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/reports/sms", requireOfficer(deps));
  app.use("/v1/partners/:partnerId/reports/sms", requirePartner(deps));
  const knownReasons = [
    "opted_out",
    ...deps.config.REMINDER_CAPS.map((c) => `capped_${c.name}`),
    "no_campaign",
    "no_template",
    "opted_out_while_deferred",
    "campaign_ended",
    "partner_disabled",
  ];
  const answer = async (c: Context<AppEnv>, query: SmsReportQuery): Promise<Response> => {
    const report = await smsReport(deps, query);
    if (/\btext\/csv\b/i.test(c.req.header("accept") ?? "")) {
      c.header("Content-Disposition", `attachment; filename="sms-report-${query.from}-${query.to}.csv"`);
      return c.body(smsReportCsv(report.rows, knownReasons), 200, {
        "content-type": "text/csv; charset=utf-8",
      });
    }
    return c.json(report, 200);
  };
  return app
    .openapi(stationReportRoute, async (c) => {
      const principal = c.get("principal");
      assertSupervisorOrAdmin(principal, "partner reports are for supervisors and admins");
      const { partnerId, ...query } = c.req.valid("query");
      if (partnerId) await partnerOf(deps.db, principal, partnerId);
      return answer(c, { stationId: principal.stationId, ...days(deps.clock.now(), query), partnerId });
    })
    .openapi(partnerReportRoute, async (c) => {
      const partner = c.get("partner");
      const query = days(deps.clock.now(), c.req.valid("query"));
      return answer(c, {
        stationId: partner.stationId,
        ...query,
        partnerId: partner.partnerId,
        test: partner.mode === "test",
      });
    });
}
