import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf as originCheck } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { posts } from "../../schema";
import { listAlerts } from "../alerts/list";
import { revealSubjectPhone } from "../alerts/reveal";
import { acknowledgeAlert, logContactAttempt, recordOutcome } from "../alerts/verify";
import { getAlertView } from "../alerts/view";
import { MIN_PASSWORD_LENGTH } from "../auth/officers";
import { changeOwnPassword } from "../auth/password-change";
import { authenticate, login, logout, type Principal, SESSION_COOKIE } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { clientAddress } from "../http/client-address";
import { ownDutyStatus } from "../organisation/duty-self";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets";
import { csrfToken, validCsrf } from "./csrf";
import { markOwnDutyFromConsole } from "./duty";
import { i18n, type Lang } from "./i18n";
import type { PageContext } from "./layout";
import { AlertPage, LoginPage, MessagePage, PasswordPage, QueueList, QueuePage } from "./pages";
import { supervisorRoutes } from "./supervisor-routes";

interface ConsoleEnv {
  Variables: { lang: Lang; principal: Principal; token: string };
}

const LANG_COOKIE = "af_lang";
const OPEN_STAGES = new Set(["received", "pushed", "acknowledged"]);

/** Yuan as typed by an officer ("1200" or "1200.50") to integer fen; empty → undefined. */
function fenFrom(value: unknown, field: string): number | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  if (!/^\d{1,11}(\.\d{1,2})?$/.test(value.trim())) {
    throw new AppError("VALIDATION_FAILED", `${field}: an amount in yuan, e.g. 1200.50`, [
      { path: field, message: "an amount in yuan" },
    ]);
  }
  return Math.round(Number(value.trim()) * 100);
}

const optionalText = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const versionFrom = (v: unknown) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * The officer console: server-rendered pages over the same use cases as the JSON API. Forms work without
 * script; the one script only adds countdowns and polling. Every POST needs a same-origin request and a
 * CSRF token derived from the session.
 */
export function consoleRoutes(deps: Deps) {
  const app = new Hono<ConsoleEnv>();

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: "same-origin",
    }),
  );
  app.use("*", originCheck());
  app.use("*", async (c, next) => {
    const asked = c.req.query("lang");
    const lang: Lang =
      asked === "en" || asked === "zh" ? asked : getCookie(c, LANG_COOKIE) === "en" ? "en" : "zh";
    if (asked === "en" || asked === "zh") {
      setCookie(c, LANG_COOKIE, asked, { path: "/console", sameSite: "Lax", maxAge: 365 * 86400 });
    }
    c.set("lang", lang);
    await next();
  });

  app.get("/assets/console.css", (c) =>
    c.body(CONSOLE_CSS, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
  );
  app.get("/assets/console.js", (c) =>
    c.body(CONSOLE_JS, 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
  );

  const pageContext = (c: { get: ConsoleGet; req: { path: string } }, withSession = true): PageContext => ({
    i18n: i18n(c.get("lang")),
    principal: withSession ? c.get("principal") : undefined,
    csrf: withSession ? csrfToken(c.get("token")) : undefined,
    path: c.req.path,
  });

  app.get("/login", (c) => c.html(<LoginPage ctx={pageContext(c, false)} />));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const username = String(form.username ?? "").slice(0, 64);
    const password = String(form.password ?? "").slice(0, 256);
    const { t } = i18n(c.get("lang"));
    try {
      const session = await login(deps, {
        username,
        password,
        clientAddress: clientAddress(c, deps.config.TRUSTED_PROXIES),
      });
      setCookie(c, SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
        secure: !deps.config.local,
        expires: session.expiresAt,
      });
      return c.redirect("/console", 303);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const message = error.code === "RATE_LIMITED" ? t.loginThrottled : t.loginFailed;
      return c.html(<LoginPage ctx={pageContext(c, false)} error={message} username={username} />, 401);
    }
  });

  // Everything below needs a session; without one, go to the login page.
  app.use("*", async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const principal = token ? await authenticate(deps, token, { passwordChange: true }) : undefined;
    if (!token || !principal) return c.redirect("/console/login", 303);
    c.set("principal", principal);
    c.set("token", token);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!validCsrf(token, form._csrf)) {
        const { t } = i18n(c.get("lang"));
        return c.html(<MessagePage ctx={pageContext(c)} title={t.forbidden} text="CSRF" />, 403);
      }
    }
    // A password an admin set opens nothing but the page that replaces it (and logging out).
    const exempt = c.req.path === "/console/password" || c.req.path === "/console/logout";
    if (principal.passwordChangeRequired && !exempt) return c.redirect("/console/password", 303);
    await next();
  });

  app.get("/password", (c) =>
    c.html(<PasswordPage ctx={pageContext(c)} required={c.get("principal").passwordChangeRequired} />),
  );
  app.post("/password", async (c) => {
    const form = await c.req.parseBody();
    const input = {
      currentPassword: String(form.currentPassword ?? "").slice(0, 256),
      newPassword: String(form.newPassword ?? "").slice(0, 256),
    };
    try {
      if (input.newPassword.length < MIN_PASSWORD_LENGTH) {
        throw new AppError(
          "VALIDATION_FAILED",
          `the new password needs at least ${MIN_PASSWORD_LENGTH} characters`,
        );
      }
      await changeOwnPassword(deps, c.get("principal"), c.get("token"), {
        ...input,
        clientAddress: clientAddress(c, deps.config.TRUSTED_PROXIES),
      });
      return c.redirect("/console", 303);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const { t } = i18n(c.get("lang"));
      const message =
        error.code === "RATE_LIMITED"
          ? t.loginThrottled
          : error.code === "FORBIDDEN"
            ? t.passwordWrong
            : t.passwordRules;
      const page = (
        <PasswordPage
          ctx={pageContext(c)}
          required={c.get("principal").passwordChangeRequired}
          error={message}
        />
      );
      return c.html(page, error.code === "VALIDATION_FAILED" ? 400 : 403);
    }
  });

  app.post("/logout", async (c) => {
    await logout(deps, c.get("token"));
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: !deps.config.local });
    return c.redirect("/console/login", 303);
  });

  const openAlerts = async (principal: Principal) => {
    const { alerts } = await listAlerts(deps, principal, { limit: 100 });
    return alerts.filter((a) => OPEN_STAGES.has(a.stage));
  };

  app.get("/", async (c) => {
    const principal = c.get("principal");
    const [alerts, duty] = await Promise.all([openAlerts(principal), ownDutyStatus(deps, principal)]);
    return c.html(
      <QueuePage ctx={pageContext(c)} alerts={alerts} duty={duty} dutyNotice={c.req.query("duty")} />,
    );
  });
  app.post("/duty", async (c) => {
    const form = await c.req.parseBody();
    const notice = await markOwnDutyFromConsole(deps, c.get("principal"), form.onDuty === "on");
    return c.redirect(`/console?duty=${notice}`, 303);
  });
  app.get("/fragments/queue", async (c) =>
    c.html(<QueueList ctx={pageContext(c)} alerts={await openAlerts(c.get("principal"))} />),
  );

  const stationPosts = (principal: Principal) =>
    deps.db
      .select({ id: posts.id, name: posts.name })
      .from(posts)
      .where(and(eq(posts.stationId, principal.stationId)))
      .orderBy(posts.name);

  const renderAlert = async (
    c: ConsoleContext,
    options: {
      flash?: { kind: "ok" | "error"; text: string };
      revealedPhone?: string;
      status?: 200 | 409 | 400;
    } = {},
  ) => {
    const principal = c.get("principal");
    const alertId = c.req.param("id") as string;
    try {
      const alert = await getAlertView(deps, principal, alertId);
      return c.html(
        <AlertPage
          ctx={pageContext(c)}
          alert={alert}
          posts={await stationPosts(principal)}
          flash={options.flash}
          revealedPhone={options.revealedPhone}
        />,
        options.status ?? 200,
      );
    } catch (error) {
      if (error instanceof AppError && error.code === "ALERT_NOT_FOUND") {
        const { t } = i18n(c.get("lang"));
        return c.html(<MessagePage ctx={pageContext(c)} title={t.notFound} text={t.notFound} />, 404);
      }
      throw error;
    }
  };

  app.get("/alerts/:id", (c) => {
    const saved = c.req.query("saved") === "1";
    return renderAlert(c, saved ? { flash: { kind: "ok", text: i18n(c.get("lang")).t.saved } } : {});
  });

  /** Runs an officer action; conflicts and invalid steps are explained on the page, not swallowed. */
  const act =
    (run: (c: ConsoleContext, form: Record<string, unknown>) => Promise<unknown>) =>
    async (c: ConsoleContext) => {
      const form = (await c.req.parseBody()) as Record<string, unknown>;
      const { t } = i18n(c.get("lang"));
      try {
        await run(c, form);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === "ALERT_NOT_FOUND") return renderAlert(c);
        const text =
          error.code === "CONFLICT"
            ? t.conflict
            : error.code === "INVALID_TRANSITION"
              ? `${t.invalidAction} ${error.message}`
              : error.message;
        return renderAlert(c, {
          flash: { kind: "error", text },
          status: error.code === "VALIDATION_FAILED" ? 400 : 409,
        });
      }
      // A transfer may take the alert out of the officer's sight: back to the queue then.
      const id = c.req.param("id") as string;
      return c.redirect(
        form.outcome === "wrong_subject" ? "/console" : `/console/alerts/${encodeURIComponent(id)}?saved=1`,
        303,
      );
    };

  app.post(
    "/alerts/:id/acknowledge",
    act((c, form) =>
      acknowledgeAlert(deps, c.get("principal"), c.req.param("id") as string, {
        expectedVersion: versionFrom(form.expectedVersion),
      }),
    ),
  );
  app.post(
    "/alerts/:id/attempts",
    act((c, form) => {
      const channel = String(form.channel);
      if (channel !== "phone" && channel !== "sms" && channel !== "visit") {
        throw new AppError("VALIDATION_FAILED", "channel", [
          { path: "channel", message: "phone, sms or visit" },
        ]);
      }
      return logContactAttempt(deps, c.get("principal"), c.req.param("id") as string, {
        channel,
        reached: form.reached === "true",
        note: optionalText(form.note),
        expectedVersion: versionFrom(form.expectedVersion),
      });
    }),
  );
  app.post(
    "/alerts/:id/outcome",
    act((c, form) =>
      recordOutcome(deps, c.get("principal"), c.req.param("id") as string, {
        outcome: String(form.outcome) as Parameters<typeof recordOutcome>[3]["outcome"],
        amountProtected: fenFrom(form.amountProtected, "amountProtected"),
        amountLost: fenFrom(form.amountLost, "amountLost"),
        note: optionalText(form.note),
        transferToPostId: optionalText(form.transferToPostId),
        expectedVersion: versionFrom(form.expectedVersion),
      }),
    ),
  );
  app.post("/alerts/:id/reveal", async (c) => {
    const form = await c.req.parseBody();
    const reason = optionalText(form.reason) ?? i18n(c.get("lang")).t.revealReasonDefault;
    try {
      const { phone } = await revealSubjectPhone(
        deps,
        c.get("principal"),
        c.req.param("id"),
        reason.slice(0, 200),
      );
      return renderAlert(c, { revealedPhone: phone });
    } catch (error) {
      if (error instanceof AppError) return renderAlert(c);
      throw error;
    }
  });

  app.route(
    "/",
    supervisorRoutes(deps, (c) => pageContext(c)),
  );

  return app;
}

type ConsoleContext = import("hono").Context<ConsoleEnv>;
type ConsoleGet = ConsoleContext["get"];
