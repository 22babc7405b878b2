import { type Context, Hono } from "hono";
import { alertsNeedingAttention } from "../alerts/attention";
import { workloadByPost } from "../alerts/workload";
import type { Principal } from "../auth/sessions";
import { shanghaiDate, shanghaiMidnight } from "../calendar";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { listDeadLetters, redriveDeadLetter } from "../feedback/dead-letters";
import { listDeadCallbacks, redriveCallback } from "../message-events/callback-settings";
import { alertsReport } from "../reports/alerts";
import { dailyFigures, totalOf } from "../reports/daily";
import { parseDayRange } from "../reports/day-range";
import { exportReport } from "../reports/export";
import { i18n, type Lang } from "./i18n";
import type { PageContext } from "./layout";
import { MessagePage } from "./pages";
import { LiveFragment, SupervisorPage } from "./supervisor";
import { SUPERVISOR_CSS } from "./supervisor-assets";
import { alertsCsv, dailyCsv } from "./supervisor-csv";
import { rangeForm, rangeQuery } from "./supervisor-range";

/** What the console's middleware has set by the time these routes run (./routes.tsx). */
interface SupervisorEnv {
  Variables: { lang: Lang; principal: Principal; token: string };
}
type SupervisorContext = Context<SupervisorEnv>;

/** Today's figures for the station, Beijing time: the report over [local midnight, now]. */
function todayFigures(deps: Pick<Deps, "db" | "clock" | "config">, principal: Principal) {
  const now = deps.clock.now();
  return alertsReport(deps, {
    stationId: principal.stationId,
    postId: null,
    from: shanghaiMidnight(shanghaiDate(now)),
    to: new Date(now.getTime() + 1),
  });
}

/**
 * The supervisor's pages, mounted by the console after its session and CSRF middleware: the live list of
 * overdue and escalated alerts by post, per-day figures for a date range, the CSV exports, failed feedback.
 */
export function supervisorRoutes(deps: Deps, pageContext: (c: SupervisorContext) => PageContext) {
  const app = new Hono<SupervisorEnv>();

  app.get("/assets/supervisor.css", (c) =>
    c.body(SUPERVISOR_CSS, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
  );

  // Officers work their own post's alerts; this view is the station's.
  for (const path of ["/supervisor", "/supervisor/*", "/dead-letters/*", "/message-callbacks/*"]) {
    app.use(path, async (c, next) => {
      if (c.get("principal").role !== "officer") return next();
      const { t } = i18n(c.get("lang"));
      return c.html(<MessagePage ctx={pageContext(c)} title={t.forbidden} text={t.forbidden} />, 403);
    });
  }

  const live = async (principal: Principal) => {
    const [attention, workload] = await Promise.all([
      alertsNeedingAttention(deps, principal),
      workloadByPost(deps, principal),
    ]);
    return { attention, workload };
  };

  app.get("/supervisor", async (c) => {
    const principal = c.get("principal");
    const typed = { from: c.req.query("from"), to: c.req.query("to") };
    const parsed = parseDayRange(deps.clock.now(), typed.from, typed.to);
    const ctx = pageContext(c);
    const form = rangeForm(ctx.i18n, typed, parsed);
    // The language switch keeps the chosen range.
    if (form.range && (typed.from || typed.to)) ctx.path = `${c.req.path}?${rangeQuery(form.range)}`;
    const [{ attention, workload }, deadLetters, deadCallbacks, today, days] = await Promise.all([
      live(principal),
      listDeadLetters(deps, principal, { limit: 50 }),
      listDeadCallbacks(deps, principal),
      todayFigures(deps, principal),
      form.range ? dailyFigures(deps, { stationId: principal.stationId, range: form.range }) : null,
    ]);
    return c.html(
      <SupervisorPage
        ctx={ctx}
        attention={attention}
        workload={workload}
        deadLetters={deadLetters.deadLetters}
        deadCallbacks={deadCallbacks}
        today={today}
        range={form}
        days={days}
      />,
      form.range ? 200 : 400,
    );
  });

  app.get("/supervisor/fragments/live", async (c) => {
    const { attention, workload } = await live(c.get("principal"));
    return c.html(<LiveFragment ctx={pageContext(c)} attention={attention} workload={workload} />);
  });

  app.get("/supervisor/export.csv", async (c) => {
    const kind = c.req.query("kind") === "alerts" ? "alerts" : "daily";
    const typed = { from: c.req.query("from"), to: c.req.query("to") };
    const parsed = parseDayRange(deps.clock.now(), typed.from, typed.to);
    if (!parsed.ok) {
      // The page says what is wrong, beside the field.
      const query = new URLSearchParams({ from: typed.from ?? "", to: typed.to ?? "" });
      return c.redirect(`/console/supervisor?${query}#sup-range`, 303);
    }
    const { range } = parsed;
    const lang = i18n(c.get("lang"));
    const principal = c.get("principal");
    let body: string;
    if (kind === "daily") {
      const days = await exportReport(deps, principal, "daily", range);
      body = dailyCsv(lang, days, totalOf(days));
    } else {
      body = alertsCsv(lang, await exportReport(deps, principal, "alerts", range));
    }
    const filename = `${kind === "daily" ? "daily-figures" : "alerts"}-${range.firstDay}-${range.lastDay}.csv`;
    return c.body(body, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    });
  });

  /**
   * A re-drive, then back to the list. One someone else already did (409: it is not dead any more) leaves
   * nothing to do; one for nothing at this station says so on a page, in the page's language.
   */
  const redrive = async (c: SupervisorContext, run: () => Promise<unknown>, back: string) => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "NOT_FOUND") {
        const { t } = i18n(c.get("lang"));
        return c.html(
          <MessagePage ctx={pageContext(c)} title={t.supRedriveGone} text={t.supRedriveGone} />,
          404,
        );
      }
      if (error.code !== "CONFLICT") throw error;
    }
    return c.redirect(back, 303);
  };

  app.post("/dead-letters/:eventId/redrive", (c) =>
    redrive(
      c,
      () =>
        redriveDeadLetter(deps, c.get("principal"), c.req.param("eventId"), { reason: "console re-drive" }),
      "/console/supervisor#dead",
    ),
  );

  // A partner's receiver is fixed: its dead status callback goes again (audited, as through the API).
  app.post("/message-callbacks/:partnerId/redrive", (c) =>
    redrive(
      c,
      () =>
        redriveCallback(
          deps,
          { officer: c.get("principal"), partnerId: c.req.param("partnerId") },
          "console re-drive",
        ),
      "/console/supervisor#dead-callbacks",
    ),
  );

  return app;
}
