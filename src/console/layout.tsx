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
  /** The server's clock when the page was made (deadlines, "today"); the wall clock when not given. */
  now?: Date;
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
          <meta name="theme-color" content="#1a365d" />
          <link rel="manifest" href="/console/manifest.webmanifest" />
          <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
          <link rel="apple-touch-icon" href="/console/assets/icon-192.png" />
          <link rel="stylesheet" href="/console/assets/console.css" />
          <script src="/console/assets/console.js" defer />
        </head>
        <body>
          <a class="skip" href="#main">
            {t.skipToContent}
          </a>
          <header>
            <h1>{t.appName}</h1>
            <nav aria-label={t.mainNav}>
              {principal && <a href="/console">{t.myQueue}</a>}
              {principal && principal.role !== "officer" && <a href="/console/supervisor">{t.supervisor}</a>}
              {principal?.role === "admin" && <a href="/console/admin">{t.admNav}</a>}
              <a
                href={`${path}${path.includes("?") ? "&" : "?"}lang=${otherLang}`}
                lang={otherLang === "zh" ? "zh-CN" : "en"}
              >
                {t.language}
              </a>
            </nav>
            {principal && csrf && (
              // Kept apart from the page links and from each other: a slip of the thumb must not log out.
              <div class="account">
                <a href="/console/password">{t.changePassword}</a>
                <form class="inline" method="post" action="/console/logout">
                  <input type="hidden" name="_csrf" value={csrf} />
                  <button class="logout" type="submit">
                    {t.logout}
                  </button>
                </form>
              </div>
            )}
          </header>
          <p
            id="offline"
            class="offline"
            role="status"
            hidden
            data-offline={t.offline}
            data-online={t.online}
          />
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}

/** A clock time an officer reads at a glance: `14:05`, with the day when it is not today (Beijing time). */
export function clockTime(at: Date | string, lang: "zh" | "en", now: Date): string {
  const d = typeof at === "string" ? new Date(at) : at;
  const opts = { timeZone: "Asia/Shanghai", hour12: false } as const;
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const hm = d.toLocaleTimeString(locale, { ...opts, hour: "2-digit", minute: "2-digit" });
  const sameDay = d.toLocaleDateString("en-CA", opts) === now.toLocaleDateString("en-CA", opts);
  if (sameDay) return hm;
  return `${d.toLocaleDateString(locale, { ...opts, month: "short", day: "numeric" })} ${hm}`;
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
