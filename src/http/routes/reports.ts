import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { posts } from "../../../schema";
import type { Principal } from "../../auth/sessions";
import { addDays, isCalendarDate, shanghaiDate, shanghaiMidnight } from "../../calendar";
import { stationLookup } from "../../db/station-scope";
import type { Deps } from "../../deps";
import { AppError } from "../../errors";
import { alertsReport, alertsReportCsv } from "../../reports/alerts";
import { DEFAULT_RANGE_DAYS } from "../../reports/day-range";
import { isTimestamp } from "../../timestamps";
import { requireOfficer } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses, idSchema, SECURITY, tag, timestamp } from "../route-parts";
import { validationHook } from "../validation";

const DAY_MS = 86_400_000;
/** Bounds the query: a year of a station's alerts is the longest range one request may ask for. */
const MAX_DAYS = 366;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A bare date is midnight in Asia/Shanghai, the stations' official clock (Xinjiang's informal UTC+6 is not);
 * a date-time must carry its offset, so no one's local time zone is guessed.
 */
function parseInstant(text: string): Date | null {
  if (DATE.test(text)) return isCalendarDate(text) ? shanghaiMidnight(text) : null;
  if (!DATE_TIME.test(text) || !isTimestamp(text)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

const instant = (description: string) =>
  z
    .string()
    .max(40)
    .refine((v) => parseInstant(v) !== null, {
      message:
        "must be a date (YYYY-MM-DD, Asia/Shanghai) or a date-time with offset (2026-11-28T10:00:00+08:00)",
    })
    .optional()
    .openapi({ description });

const CountsSchema = z.record(z.string(), z.number().int());
const PercentilesSchema = z.object({
  count: z.number().int(),
  medianSeconds: z.number().nullable(),
  p90Seconds: z.number().nullable(),
});
const ComplianceSchema = z.object({
  met: z.number().int(),
  missed: z.number().int(),
  rate: z.number().nullable(),
});

const AlertsReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    postId: idSchema("post").nullable(),
    generatedAt: timestamp,
    total: z.number().int(),
    counts: z.object({
      stage: CountsSchema,
      type: CountsSchema,
      riskLevel: CountsSchema,
      outcome: CountsSchema,
    }),
    durations: z.object({
      timeToPush: PercentilesSchema,
      timeToAcknowledge: PercentilesSchema,
      timeToVerify: PercentilesSchema,
      timeToFeedback: PercentilesSchema,
    }),
    deadlineCompliance: z.object({
      acknowledge: ComplianceSchema,
      contact: ComplianceSchema,
      visit: ComplianceSchema.openapi({
        description:
          "Each visit owed (unreachable, or a busy call on a critical/high alert) against visitMinutes from when it became owed; met when done, the case closed or the alert transferred in time",
      }),
      feedback: ComplianceSchema,
    }),
    amounts: z.object({ protected: z.number().int(), lost: z.number().int() }),
  })
  .openapi("AlertsReport");

const alertsReportRoute = createRoute({
  method: "get",
  path: "/v1/reports/alerts",
  operationId: "getAlertsReport",
  tags: tag("Reports"),
  summary: "Alert report: counts, stage times, deadline compliance, amounts protected and lost",
  description:
    "Alerts received in [from, to) — default the last 7 days, at most 366 — at the caller's station; supervisors " +
    "and admins may narrow to one post with postId, officers always get their own post. Counts by current stage, " +
    "type, risk level and outcome (`none`: not recorded yet). Median and p90, in seconds from receipt, of the time " +
    "to push, acknowledge, verify (final outcome) and feedback (callback acknowledged), over the alerts that got " +
    "there. Deadline compliance per step (acknowledge; first contact attempt, for levels that owe one; feedback, " +
    "met by recording the final outcome) against the deadline policy at the alert's current risk level: met, " +
    "missed (late, or deadline passed without it) and their rate; alerts still inside their deadline are not " +
    "counted. Amounts are sums in fen. `Accept: text/csv` returns the same figures as CSV, one per row " +
    "(section,key,value).",
  security: SECURITY.officer,
  request: {
    query: z.object({
      from: instant(
        "Start, inclusive (default: midnight, Asia/Shanghai, starting the 7th day back, the day of `to` included)",
      ),
      to: instant("End, exclusive (default: now)"),
      postId: z.string().max(100).optional().openapi({ description: "Only this post's alerts" }),
    }),
  },
  responses: {
    200: {
      description: "The report",
      content: {
        "application/json": { schema: AlertsReportSchema },
        "text/csv": { schema: z.string().openapi({ example: "section,key,value\r\nreport,total,12\r\n" }) },
      },
    },
    ...errorResponses({
      400: "from or to is not a date, to is not after from, or the range is over 366 days",
      401: "Not logged in",
      403: "An officer asked for a post other than their own",
      404: "postId is not a post of the caller's station",
    }),
  },
});

const postOf = stationLookup(posts, "no such post at this station");

/** Which post the caller may report on: officers their own, always; others any post of their station. */
async function scopePost(deps: Pick<Deps, "db">, principal: Principal, postId: string | undefined) {
  if (principal.role === "officer") {
    if (!principal.postId)
      throw new AppError("FORBIDDEN", "officers without a post have no alerts to report");
    // 403, not 404: the post list of a station is no secret from its own officers; the report is.
    if (postId !== undefined && postId !== principal.postId) {
      throw new AppError("FORBIDDEN", "officers see reports for their own post only");
    }
    return principal.postId;
  }
  if (postId === undefined) return null;
  return (await postOf(deps.db, principal, postId)).id;
}

function range(now: Date, fromText: string | undefined, toText: string | undefined) {
  const to = toText ? (parseInstant(toText) as Date) : now;
  // The default every report shares (src/reports/day-range.ts): the last DEFAULT_RANGE_DAYS Asia/Shanghai days,
  // the day `to` falls in included, from that first day's midnight. It was 7 × 24 h back from `to`, so the
  // alert report's first day started at the hour of the request while the SMS report's and the console's
  // started at midnight: the same "last 7 days" counted different alerts.
  const lastDay = shanghaiDate(new Date(to.getTime() - 1));
  const from = fromText
    ? (parseInstant(fromText) as Date)
    : shanghaiMidnight(addDays(lastDay, 1 - DEFAULT_RANGE_DAYS));
  if (to <= from) {
    throw new AppError("VALIDATION_FAILED", "the request is not valid", [
      { path: "to", message: "must be after from" },
    ]);
  }
  if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) {
    throw new AppError("VALIDATION_FAILED", "the request is not valid", [
      { path: "to", message: `must be at most ${MAX_DAYS} days after from` },
    ]);
  }
  return { from, to };
}

export function reportRoutes(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("/v1/reports/alerts", requireOfficer(deps));
  return app.openapi(alertsReportRoute, async (c) => {
    const principal = c.get("principal");
    const query = c.req.valid("query");
    const { from, to } = range(deps.clock.now(), query.from, query.to);
    const postId = await scopePost(deps, principal, query.postId);
    const report = await alertsReport(deps, { stationId: principal.stationId, postId, from, to });
    c.header("Vary", "Accept");
    if (/\btext\/csv\b/i.test(c.req.header("accept") ?? "")) {
      const [first, last] = [shanghaiDate(from), shanghaiDate(to)];
      c.header("Content-Disposition", `attachment; filename="alerts-report-${first}-${last}.csv"`);
      return c.body(alertsReportCsv(report), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    return c.json(report, 200);
  });
}
