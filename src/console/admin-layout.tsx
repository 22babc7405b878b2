import { Hono, type MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import type { Deps } from "../deps";
import { AppError, ERROR_STATUS } from "../errors";
import { ADMIN_SECTIONS } from "./admin-nav";
import { OnceBox, type OnceItem } from "./admin-once";
import { type ConsoleContext, type ConsoleEnv, signedInPage } from "./context";
import { i18n } from "./i18n";
import { Layout, type PageContext } from "./layout";
import { MessagePage } from "./pages";

/**
 * What every admin page shares: the admin-only guard, the page frame with the section menu, reading a
 * form, and turning a use case's refusal into a message beside the field it names.
 */

/** Officers and supervisors get a page saying the admin pages are for admins, in the page's language. */
export const adminOnly =
  (refusal: "admForbidden" | "apForbidden"): MiddlewareHandler<ConsoleEnv> =>
  async (c, next) => {
    if (c.get("principal").role === "admin") return next();
    const ctx = signedInPage(c as ConsoleContext, new Date());
    const { t } = ctx.i18n;
    return c.html(<MessagePage ctx={ctx} title={t.forbidden} text={t[refusal]} />, 403);
  };

/**
 * A section's routes under /admin/<name>, behind the admin-only guard whatever order they are mounted in.
 * `refusal` words the 403 page (a single page, or the admin pages as a whole).
 */
export function adminSection(name: string, refusal: "admForbidden" | "apForbidden" = "admForbidden") {
  const app = new Hono<ConsoleEnv>();
  app.use(`/admin/${name}`, adminOnly(refusal));
  app.use(`/admin/${name}/*`, adminOnly(refusal));
  return app;
}

/** The page context without the one-off `saved` flag, so switching language does not repeat it. */
export function adminContext(c: ConsoleContext, deps: Pick<Deps, "clock">): PageContext {
  const ctx = signedInPage(c, deps.clock.now());
  ctx.path = ctx.path.replace(/([?&])saved=[^&]*&?/, "$1").replace(/[?&]$/, "");
  return ctx;
}

/**
 * Every admin page's frame: the section menu (the section the path is in marked), the title, the flash after
 * a redirect or a refusal, and secrets shown once.
 */
export function AdminPage(props: {
  ctx: PageContext;
  title: string;
  done?: string | undefined;
  error?: string | undefined;
  once?: OnceItem[] | undefined;
  children: Child;
}) {
  const here = props.ctx.path.split("?")[0] ?? "";
  const section = ADMIN_SECTIONS.find((s) => here.startsWith(s.href))?.href;
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <AdminSectionsNav ctx={props.ctx} section={section} />
      <h2>{props.title}</h2>
      {props.done && (
        <p class="flash ok" role="status">
          {props.done}
        </p>
      )}
      {props.error && (
        <p class="flash error" role="alert">
          {props.error}
        </p>
      )}
      {props.once && props.once.length > 0 && <OnceBox t={t} items={props.once} />}
      {props.children}
    </Layout>
  );
}

/** The admin area's section menu, the current section marked (the landing page when `section` is unset). */
export function AdminSectionsNav(props: { ctx: PageContext; section?: string | undefined }) {
  const { t } = props.ctx.i18n;
  return (
    <>
      <link rel="stylesheet" href="/console/assets/admin.css" />
      <nav class="adm-sub" aria-label={t.admSectionsNav}>
        <a href="/console/admin" aria-current={props.section === undefined ? "page" : undefined}>
          {t.admTitle}
        </a>
        {ADMIN_SECTIONS.map((s) => (
          <a href={s.href} aria-current={props.section === s.href ? "page" : undefined}>
            {t[s.labelKey]}
          </a>
        ))}
      </nav>
    </>
  );
}

/** The CSRF field every admin form carries. */
export const Csrf = (props: { ctx: PageContext }) => (
  <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
);

/** A form's fields as text, trimmed and cut to a sane length; repeated names as lists. */
export async function formOf(c: ConsoleContext) {
  const body = await c.req.parseBody({ all: true });
  const one = (name: string) => {
    const v = body[name];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === "string" ? first.trim().slice(0, 500) : "";
  };
  const all = (name: string) => {
    const v = body[name];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v])
      .filter((x): x is string => typeof x === "string")
      .map((x) => x.trim().slice(0, 200));
  };
  return { one, all, names: Object.keys(body) };
}

export type FieldErrors = Record<string, string>;

/**
 * A use case's refusal as messages beside fields: `explain` turns each (field, code, message) into the page's
 * words; what it does not know falls under `whole` with the generic message. Anything but an AppError is a
 * bug and goes on up.
 */
export function refusalToFields(
  error: unknown,
  lang: "zh" | "en",
  explain: (path: string, code: AppError["code"], message: string) => string | undefined,
  whole = "_form",
): FieldErrors {
  if (!(error instanceof AppError)) throw error;
  const { t } = i18n(lang);
  const errors: FieldErrors = {};
  const details = error.errors?.length ? error.errors : [{ path: whole, message: error.message }];
  for (const d of details) {
    const text = explain(d.path, error.code, d.message);
    if (text) errors[d.path] = text;
    else errors[whole] = t.admErrGeneric;
  }
  return errors;
}

/**
 * The status a refused form is answered with: the use case's for a refusal, a missing record or a conflict,
 * otherwise 400 (the page's own checks, and anything the form can fix).
 */
export function refusalStatus(error: unknown): 400 | 403 | 404 | 409 {
  const status = error instanceof AppError ? ERROR_STATUS[error.code] : 400;
  return status === 403 || status === 404 || status === 409 ? status : 400;
}
