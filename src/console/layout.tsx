import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Principal } from "../auth/sessions";
import type { I18n } from "./i18n";

export interface PageContext {
  i18n: I18n;
  principal?: Principal;
  csrf?: string;
  /** The current path, for the language switch. */
  path: string;
}

export function Layout(props: { ctx: PageContext; title: string; children: Child }) {
  const { i18n, principal, csrf, path } = props.ctx;
  const { t } = i18n;
  const otherLang = i18n.lang === "zh" ? "en" : "zh";
  return (
    <>
      {raw("<!doctype html>")}
      <html lang={i18n.lang === "zh" ? "zh-CN" : "en"}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · ${t.appName}`}</title>
          <link rel="stylesheet" href="/console/assets/console.css" />
          <script src="/console/assets/console.js" defer />
        </head>
        <body>
          <a class="skip" href="#main">
            {t.skipToContent}
          </a>
          <header>
            <h1>{t.appName}</h1>
            <nav aria-label="main">
              {principal && <a href="/console">{t.myQueue}</a>}
              {principal && principal.role !== "officer" && <a href="/console/supervisor">{t.supervisor}</a>}
              <a
                href={`${path}${path.includes("?") ? "&" : "?"}lang=${otherLang}`}
                lang={otherLang === "zh" ? "zh-CN" : "en"}
              >
                {t.language}
              </a>
              {principal && <a href="/console/password">{t.changePassword}</a>}
              {principal && csrf && (
                <form class="inline" method="post" action="/console/logout">
                  <input type="hidden" name="_csrf" value={csrf} />
                  <button class="linklike" type="submit">
                    {t.logout}
                  </button>
                </form>
              )}
            </nav>
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}

/** Fen to yuan for display: amounts are stored as integer fen everywhere else. */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return "—";
  return (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
}

export function time(at: Date | string | null | undefined): string {
  if (!at) return "—";
  const d = typeof at === "string" ? new Date(at) : at;
  // Officers read local (Beijing) time.
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}
