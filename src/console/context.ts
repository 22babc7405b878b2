import type { Context } from "hono";
import type { Principal } from "../auth/sessions";
import { csrfToken } from "./csrf";
import { i18n, type Lang } from "./i18n";
import type { PageContext } from "./layout";

export interface ConsoleEnv {
  Variables: { lang: Lang; principal: Principal; token: string };
}

export type ConsoleContext = Context<ConsoleEnv>;

/**
 * The page context of a signed-in page. `path` keeps the query (filters, search, page) without `lang`, so
 * switching language shows the same list.
 */
export function signedInPage(c: ConsoleContext, now: Date): PageContext {
  const url = new URL(c.req.url);
  url.searchParams.delete("lang");
  const query = url.searchParams.toString();
  return {
    i18n: i18n(c.get("lang")),
    principal: c.get("principal"),
    csrf: csrfToken(c.get("token")),
    path: query ? `${url.pathname}?${query}` : url.pathname,
    now,
  };
}
