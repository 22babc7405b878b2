import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Deps } from "../deps";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";

// Secrets shown once: the POST that made them redirects, and the page it redirects to shows them this once.
// They ride in a sealed, http-only cookie scoped to the admin pages that lives a few minutes and is deleted
// by the page that shows it, so a reload shows nothing and no secret is ever in a URL or a log line.

type Messages = I18n["t"];

export interface OnceItem {
  label: keyof Messages;
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

/** The box that shows them, at the top of the page. */
export function OnceBox(props: { t: Messages; items: OnceItem[] }) {
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
