import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { officers, posts } from "../../schema";
import { handledToday } from "../alerts/handled";
import { type AlertListQuery, listAlerts } from "../alerts/list";
import { recentReveal, revealSubjectPhone } from "../alerts/reveal";
import { acknowledgeAlert, logContactAttempt, recordOutcome } from "../alerts/verify";
import { getAlertView } from "../alerts/view";
import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { ownDutyStatus } from "../organisation/duty-self";
import { normalizePhone } from "../privacy/phone";
import { AlertPage } from "./alert-page";
import { type ConsoleContext, type ConsoleEnv, signedInPage } from "./context";
import { markOwnDutyFromConsole } from "./duty";
import { type FormState, parseAttempt, parseOutcome } from "./forms";
import { i18n } from "./i18n";
import { fill } from "./i18n-officer";
import { clockTime } from "./layout";
import { MessagePage } from "./pages";
import { filterQuery, filtersFrom, QueueList, QueuePage } from "./queue";

const PAGE_SIZE = 20;
const SAVED = ["acknowledged", "attempt", "outcome"] as const;

/**
 * The officer's pages: the queue (filters, search, pages, handled today), the alert page and its actions.
 * Every action posts and redirects to a page that says what happened (a reload repeats nothing); a form
 * with errors comes back with them next to its fields and the typing kept.
 */
export function officerRoutes(deps: Deps) {
  const app = new Hono<ConsoleEnv>();
  const windowMs = deps.config.REVEAL_WINDOW_MINUTES * 60_000;

  const officerNames = async (stationId: string) =>
    Object.fromEntries(
      (
        await deps.db
          .select({ id: officers.id, name: officers.displayName })
          .from(officers)
          .where(eq(officers.stationId, stationId))
      ).map((o) => [o.id, o.name]),
    );
  const stationPosts = (principal: Principal) =>
    deps.db
      .select({ id: posts.id, name: posts.name, disabledAt: posts.disabledAt })
      .from(posts)
      .where(eq(posts.stationId, principal.stationId))
      .orderBy(posts.name);

  /** The queue as the filters ask; a search looks at every stage, the plain queue at open alerts only. */
  const queue = async (c: ConsoleContext) => {
    const principal = c.get("principal");
    const filters = filtersFrom((name) => c.req.query(name));
    const query: AlertListQuery = {
      limit: PAGE_SIZE,
      cursor: filters.cursor,
      riskLevel: filters.risk,
      overdue: filters.overdue || undefined,
      unacknowledged: filters.unacknowledged || undefined,
      acknowledgedBy: filters.mine ? principal.officerId : undefined,
      openOnly: filters.q === "",
    };
    let searchError: string | undefined;
    if (filters.q) {
      const digits = filters.q.replace(/\D/g, "");
      const phone = digits.length >= 11 ? normalizePhone(filters.q) : undefined;
      const code = /^(alr_[0-9a-z]{18})?[0-9a-z]{8}$/i.test(filters.q) ? filters.q.slice(-8) : undefined;
      if (phone) query.subjectPhoneHash = deps.pii.hash(phone);
      else if (code) query.code = code;
      else searchError = i18n(c.get("lang")).t.searchInvalid;
    }
    const empty = { alerts: [], nextCursor: null };
    const page = searchError
      ? empty
      : await listAlerts(deps, principal, query).catch((error) => {
          // A cursor from an old link: start again at the first page rather than fail.
          if (error instanceof AppError && error.code === "VALIDATION_FAILED") {
            return listAlerts(deps, principal, { ...query, cursor: undefined });
          }
          throw error;
        });
    const [names, postNames] = await Promise.all([
      officerNames(principal.stationId),
      // An officer's queue is their own post's; a supervisor's spans the station, so each card names its post.
      principal.postId
        ? undefined
        : stationPosts(principal).then((rows) => Object.fromEntries(rows.map((p) => [p.id, p.name]))),
    ]);
    return { filters, page, searchError, names, postNames };
  };

  app.get("/", async (c) => {
    const principal = c.get("principal");
    const now = deps.clock.now();
    const [{ filters, page, searchError, names, postNames }, duty, handled] = await Promise.all([
      queue(c),
      ownDutyStatus(deps, principal),
      handledToday(deps, principal),
    ]);
    const { t } = i18n(c.get("lang"));
    return c.html(
      <QueuePage
        ctx={signedInPage(c, now)}
        alerts={page.alerts}
        names={names}
        postNames={postNames}
        filters={filters}
        nextCursor={page.nextCursor}
        handled={handled}
        searchError={searchError}
        flash={c.req.query("transferred") === "1" ? t.savedTransferred : undefined}
        duty={duty}
        dutyNotice={c.req.query("duty")}
      />,
    );
  });
  app.post("/duty", async (c) => {
    const form = await c.req.parseBody();
    const notice = await markOwnDutyFromConsole(deps, c.get("principal"), form.onDuty === "on");
    return c.redirect(`/console?duty=${notice}`, 303);
  });
  app.get("/fragments/queue", async (c) => {
    const now = deps.clock.now();
    const { filters, page, names, postNames } = await queue(c);
    const { t } = i18n(c.get("lang"));
    const next = page.nextCursor ? `/console?${filterQuery(filters, page.nextCursor)}` : undefined;
    const empty = filterQuery({ ...filters, cursor: undefined }) ? t.noMatches : t.noAlerts;
    return c.html(
      <QueueList
        ctx={signedInPage(c, now)}
        alerts={page.alerts}
        names={names}
        postNames={postNames}
        empty={empty}
        nextHref={next}
      />,
    );
  });

  const renderAlert = async (
    c: ConsoleContext,
    options: {
      flash?: { kind: "ok" | "error"; text: string };
      form?: FormState;
      status?: 200 | 400 | 409;
    } = {},
  ) => {
    const principal = c.get("principal");
    const alertId = c.req.param("id") as string;
    const now = deps.clock.now();
    const { t } = i18n(c.get("lang"));
    try {
      const alert = await getAlertView(deps, principal, alertId);
      const [postList, names, reveal] = await Promise.all([
        stationPosts(principal),
        officerNames(principal.stationId),
        alert.stage === "verified" || alert.stage === "fed_back"
          ? null
          : recentReveal(deps, principal, alertId, windowMs),
      ]);
      return c.html(
        <AlertPage
          ctx={signedInPage(c, now)}
          alert={alert}
          posts={postList}
          names={names}
          flash={options.flash}
          form={options.form}
          reveal={reveal ?? undefined}
        />,
        options.status ?? 200,
      );
    } catch (error) {
      if (error instanceof AppError && error.code === "ALERT_NOT_FOUND") {
        return c.html(<MessagePage ctx={signedInPage(c, now)} title={t.notFound} text={t.notFound} />, 404);
      }
      throw error;
    }
  };

  app.get("/alerts/:id", (c) => {
    const { t, label, lang } = i18n(c.get("lang"));
    const saved = c.req.query("saved");
    const savedText = {
      acknowledged: t.savedAcknowledged,
      attempt: t.savedAttempt,
      outcome: t.savedOutcome,
      "1": t.saved,
    } as Record<string, string>;
    if (saved && savedText[saved]) {
      // Say which deadline runs now: the clock on the page has just changed.
      const deadline = c.req.query("deadline");
      const at = c.req.query("at");
      let text = savedText[saved] as string;
      if (deadline && deadline in label.deadline && at && !Number.isNaN(Date.parse(at))) {
        const kind = deadline as keyof typeof label.deadline;
        text += `。${fill(t.deadlineChanged, { deadline: label.deadline[kind], time: clockTime(at, lang, deps.clock.now()) })}`;
      } else if (deadline === "none") {
        text += `。${t.deadlineEnded}`;
      }
      return renderAlert(c, { flash: { kind: "ok", text: lang === "en" ? text.replace("。", ". ") : text } });
    }
    if (c.req.query("revealed") === "1") return renderAlert(c, { flash: { kind: "ok", text: t.revealed } });
    return renderAlert(c);
  });

  /** Runs an officer action, then redirects to the page that says what changed; refusals are explained. */
  const act =
    (
      saved: (typeof SAVED)[number],
      run: (
        c: ConsoleContext,
        form: Record<string, unknown>,
      ) => Promise<{ form?: FormState; result?: ActResult }>,
    ) =>
    async (c: ConsoleContext) => {
      const form = (await c.req.parseBody()) as Record<string, unknown>;
      const { t } = i18n(c.get("lang"));
      let outcome: { form?: FormState; result?: ActResult };
      try {
        outcome = await run(c, form);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === "ALERT_NOT_FOUND") return renderAlert(c);
        const text =
          error.code === "CONFLICT"
            ? t.conflict
            : error.code === "VALIDATION_FAILED"
              ? t.errorsBelow
              : t.errInvalidAction;
        return renderAlert(c, {
          flash: { kind: "error", text },
          status: error.code === "VALIDATION_FAILED" ? 400 : 409,
        });
      }
      if (outcome.form) return renderAlert(c, { form: outcome.form, status: 400 });
      const alert = outcome.result?.alert;
      const id = c.req.param("id") as string;
      // A transfer takes the alert out of the officer's post: back to the queue, which says so.
      if (alert && alert.postId !== c.get("principal").postId && c.get("principal").role === "officer") {
        return c.redirect("/console?transferred=1", 303);
      }
      const deadline = alert?.deadlineKind
        ? `&deadline=${alert.deadlineKind}&at=${encodeURIComponent(alert.deadlineAt?.toISOString() ?? "")}`
        : alert
          ? "&deadline=none"
          : "";
      return c.redirect(`/console/alerts/${encodeURIComponent(id)}?saved=${saved}${deadline}`, 303);
    };

  const versionFrom = (v: unknown) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);
  const alertId = (c: ConsoleContext) => c.req.param("id") as string;

  app.post(
    "/alerts/:id/acknowledge",
    act("acknowledged", async (c, form) => ({
      result: await acknowledgeAlert(deps, c.get("principal"), alertId(c), {
        expectedVersion: versionFrom(form.expectedVersion),
      }),
    })),
  );
  app.post(
    "/alerts/:id/attempts",
    act("attempt", async (c, form) => {
      const parsed = parseAttempt(form, i18n(c.get("lang")));
      if (!parsed.ok) return { form: parsed.state };
      return {
        result: await logContactAttempt(deps, c.get("principal"), alertId(c), {
          ...parsed.input,
          expectedVersion: versionFrom(form.expectedVersion),
        }),
      };
    }),
  );
  app.post(
    "/alerts/:id/outcome",
    act("outcome", async (c, form) => {
      const view = await getAlertView(deps, c.get("principal"), alertId(c));
      const parsed = parseOutcome(form, i18n(c.get("lang")), view.postId);
      if (!parsed.ok) return { form: parsed.state };
      return {
        result: await recordOutcome(deps, c.get("principal"), alertId(c), {
          ...parsed.input,
          expectedVersion: versionFrom(form.expectedVersion),
        }),
      };
    }),
  );
  app.post("/alerts/:id/reveal", async (c) => {
    const form = await c.req.parseBody();
    const { t } = i18n(c.get("lang"));
    const reason = typeof form.reason === "string" ? form.reason.trim() : "";
    try {
      await revealSubjectPhone(
        deps,
        c.get("principal"),
        alertId(c),
        (reason || t.revealReasonDefault).slice(0, 200),
      );
    } catch (error) {
      if (error instanceof AppError)
        return renderAlert(c, { flash: { kind: "error", text: t.errInvalidAction } });
      throw error;
    }
    // Redirected, so a reload shows the number again from the recorded reveal instead of revealing twice.
    return c.redirect(`/console/alerts/${encodeURIComponent(alertId(c))}?revealed=1`, 303);
  });

  return app;
}

type ActResult = Awaited<ReturnType<typeof acknowledgeAlert>>;
