import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import type { Deps } from "../deps";
import { AppError, ERROR_STATUS } from "../errors";
import { AdminSectionsNav } from "./admin-layout";
import { ADMIN_SECTIONS } from "./admin-nav";
import { type ConsoleContext, signedInPage } from "./context";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import { Layout, type PageContext } from "./layout";

/**
 * What the admin pages for feed sources, partners, campaigns and opt-outs share: the admin-only gate, the
 * page frame, a form field with its error beside it, the "done" flash after a redirect, and secrets shown
 * once across that redirect.
 */

type Messages = I18n["t"];
export type MessageKey = keyof Messages;

/** Officers and supervisors get a page in their language saying no, never the admin page. */
export const pageOf = (deps: Pick<Deps, "clock">, c: ConsoleContext) => signedInPage(c, deps.clock.now());

/** The `?done=` flashes a page knows: the key in the redirect, its words on the page. */
export function doneMessage(
  c: ConsoleContext,
  t: Messages,
  known: readonly MessageKey[],
): string | undefined {
  const done = c.req.query("done");
  const key = known.find((k) => k === done);
  return key ? t[key] : undefined;
}

export function AdminFrame(props: {
  ctx: PageContext;
  title: string;
  done?: string;
  error?: string;
  once?: OnceItem[];
  children: Child;
}) {
  const { t } = props.ctx.i18n;
  const here = props.ctx.path.split("?")[0] ?? "";
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <link rel="stylesheet" href="/console/assets/admin-partners.css" />
      <AdminSectionsNav ctx={props.ctx} section={ADMIN_SECTIONS.find((s) => here.startsWith(s.href))?.href} />
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

function OnceBox(props: { t: Messages; items: OnceItem[] }) {
  const { t } = props;
  return (
    <section class="card ap-once" aria-labelledby="ap-once-title">
      <h3 id="ap-once-title">{t.apOnceTitle}</h3>
      <p>{t.apOnceText}</p>
      <dl class="facts">
        {props.items.map((item) => (
          <>
            <dt>{t[item.label]}</dt>
            <dd>
              <code class="ap-secret">{item.value}</code>
            </dd>
          </>
        ))}
      </dl>
    </section>
  );
}

/** A labelled input with its hint and, after a refused submit, its error (announced, and the input marked). */
export function Field(props: {
  id: string;
  name: string;
  label: string;
  value?: string;
  error?: string;
  hint?: string;
  type?: string;
  required?: boolean;
  inputmode?: "numeric" | "tel" | "url" | "text";
  autocomplete?: string;
  placeholder?: string;
  min?: number;
  max?: number;
  multiline?: boolean;
  rows?: number;
}) {
  const describedBy = [props.hint ? `${props.id}-hint` : "", props.error ? `${props.id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  const common = {
    id: props.id,
    name: props.name,
    required: props.required,
    "aria-invalid": props.error ? "true" : undefined,
    "aria-describedby": describedBy || undefined,
  };
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 4}>
          {props.value ?? ""}
        </textarea>
      ) : (
        <input
          {...common}
          type={props.type ?? "text"}
          value={props.value ?? ""}
          inputmode={props.inputmode}
          autocomplete={props.autocomplete ?? "off"}
          placeholder={props.placeholder}
          min={props.min}
          max={props.max}
        />
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A one-button form that posts with the session's CSRF token. */
export function ActionButton(props: {
  ctx: PageContext;
  action: string;
  label: string;
  secondary?: boolean;
  hidden?: Record<string, string>;
}) {
  return (
    <form class="inline ap-action" method="post" action={props.action}>
      <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button class={props.secondary ? "secondary" : "primary"} type="submit">
        {props.label}
      </button>
    </form>
  );
}

export const CsrfInput = (props: { ctx: PageContext }) => (
  <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
);

export const formText = (form: Record<string, unknown>, name: string, max = 2000) => {
  const v = form[name];
  return typeof v === "string" ? v.slice(0, max) : "";
};

/** An integer typed in a form, or an error message in the page's language. Empty: undefined. */
export function formInt(
  t: Messages,
  typed: string,
  min: number,
  max: number,
): { value?: number; error?: string } {
  const trimmed = typed.trim();
  if (trimmed === "") return {};
  const n = Number(trimmed);
  if (!/^-?\d+$/.test(trimmed) || n < min || n > max) return { error: fill(t.apErrNumber, { min, max }) };
  return { value: n };
}

/**
 * A use case's refusal the console did not catch first: the page says it in its language (the use case's
 * English words are for the API). NOT_FOUND and CONFLICT have their own; anything else is rethrown.
 */
export function refusalText(t: Messages, error: unknown): string {
  if (!(error instanceof AppError)) throw error;
  if (error.code === "NOT_FOUND") return t.apNotFound;
  if (error.code === "CONFLICT") return t.apConflict;
  if (error.code === "VALIDATION_FAILED") return t.apFixErrors;
  throw error;
}

/** The status a refused action's page answers with (refusalText has rethrown anything that is not an AppError). */
export const refusalStatus = (error: unknown) =>
  (error instanceof AppError ? ERROR_STATUS[error.code] : 500) as 400 | 404 | 409;

// Secrets shown once: the POST that made them redirects, and the page it redirects to shows them this once.
// They ride in a sealed, http-only cookie scoped to the admin pages that lives a few minutes and is deleted
// by the page that shows it, so a reload shows nothing and no secret is ever in a URL or a log line.

export interface OnceItem {
  label: MessageKey;
  value: string;
}

const ONCE_COOKIE = "af_once";
const ONCE_PATH = "/console/admin";

export function showOnce(
  deps: Pick<Deps, "pii" | "config">,
  c: ConsoleContext,
  page: string,
  items: OnceItem[],
): void {
  setCookie(c, ONCE_COOKIE, deps.pii.encrypt(JSON.stringify({ page, items })), {
    httpOnly: true,
    sameSite: "Strict",
    path: ONCE_PATH,
    secure: !deps.config.local,
    maxAge: 300,
  });
}

/** The secrets meant for this page, once; nothing if they were meant for another page or cannot be read. */
export function takeOnce(deps: Pick<Deps, "pii" | "config">, c: ConsoleContext): OnceItem[] | undefined {
  const sealed = getCookie(c, ONCE_COOKIE);
  if (!sealed) return undefined;
  deleteCookie(c, ONCE_COOKIE, { path: ONCE_PATH, secure: !deps.config.local });
  try {
    const parsed = JSON.parse(deps.pii.decrypt(sealed)) as { page?: unknown; items?: unknown };
    if (parsed.page !== c.req.path || !Array.isArray(parsed.items)) return undefined;
    return parsed.items as OnceItem[];
  } catch {
    return undefined;
  }
}

/** Pages with secrets or per-admin state are never cached. */
export const noStore = { "cache-control": "no-store" };
