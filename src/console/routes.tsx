import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf as originCheck } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { MIN_PASSWORD_LENGTH } from "../auth/officers";
import { changeOwnPassword } from "../auth/password-change";
import { authenticate, login, logout, SESSION_COOKIE } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { clientAddress } from "../http/client-address";
import { adminAuditRoutes } from "./admin-audit-routes";
import { adminCampaignsRoutes } from "./admin-campaigns-routes";
import { adminEscalationRoutes } from "./admin-escalation-routes";
import { adminFeedsRoutes } from "./admin-feeds-routes";
import { adminOfficersRoutes } from "./admin-officers-routes";
import { adminOptOutsRoutes } from "./admin-opt-outs-routes";
import { adminPartnersRoutes } from "./admin-partners-routes";
import { adminPostsRoutes } from "./admin-posts-routes";
import { adminRostersRoutes } from "./admin-rosters-routes";
import { adminRoutes } from "./admin-routes";
import { adminRulesRoutes } from "./admin-rules-routes";
import { adminScriptRoutes } from "./admin-script";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets";
import type { ConsoleContext, ConsoleEnv } from "./context";
import { csrfToken, validCsrf } from "./csrf";
import { i18n, type Lang } from "./i18n";
import { installRoutes } from "./install";
import type { PageContext } from "./layout";
import { officerRoutes } from "./officer-routes";
import { LoginPage, MessagePage, PasswordPage } from "./pages";
import { supervisorRoutes } from "./supervisor-routes";

const LANG_COOKIE = "af_lang";

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
  app.route("/", installRoutes());

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
        return c.html(<MessagePage ctx={pageContext(c)} title={t.forbidden} text={t.csrfFailed} />, 403);
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

  app.route("/", officerRoutes(deps));

  app.route(
    "/",
    supervisorRoutes(deps, (c) => pageContext(c)),
  );

  app.route("/", adminScriptRoutes());
  app.route("/", adminFeedsRoutes(deps));
  app.route("/", adminPartnersRoutes(deps));
  app.route("/", adminCampaignsRoutes(deps));
  app.route("/", adminOptOutsRoutes(deps));
  // The admin area: its frame, then one line per section (./admin-nav.ts lists them).
  app.route("/", adminRoutes(deps));
  app.route("/", adminOfficersRoutes(deps));
  app.route("/", adminPostsRoutes(deps));
  app.route("/", adminRulesRoutes(deps));
  app.route("/", adminRostersRoutes(deps));
  app.route("/", adminEscalationRoutes(deps));
  app.route("/", adminAuditRoutes(deps));

  return app;
}

type ConsoleGet = ConsoleContext["get"];
