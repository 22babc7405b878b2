import { SESSION_COOKIE } from "../../src/auth/sessions";
import { csrfToken } from "../../src/console/csrf";
import type { TestContext } from "../support/context";

/** A browser's view of the admin pages through the app: session cookie, same-origin form posts with the token. */
export interface Visitor {
  get(path: string): Promise<{ status: number; html: string; headers: Headers }>;
  post(
    path: string,
    form: Record<string, string | string[]>,
  ): Promise<{
    status: number;
    html: string;
    location: string | null;
    headers: Headers;
  }>;
}

export async function visitorAs(ctx: TestContext, username: string): Promise<Visitor> {
  const token = await ctx.login(username);
  const cookie = `${SESSION_COOKIE}=${token}`;
  return {
    async get(path) {
      const res = await ctx.app.request(path, { headers: { cookie } });
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(path, form) {
      const body = new URLSearchParams();
      body.append("_csrf", csrfToken(token));
      for (const [name, value] of Object.entries(form)) {
        for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
      }
      const res = await ctx.app.request(path, {
        method: "POST",
        headers: {
          cookie,
          origin: "http://localhost",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: body.toString(),
      });
      return {
        status: res.status,
        html: await res.text(),
        location: res.headers.get("location"),
        headers: res.headers,
      };
    },
  };
}

/** What a person reads: the page's text without tags, attributes, script or style. */
export const visibleText = (html: string) =>
  html
    .replace(/<(script|style|title)[^>]*>[\s\S]*?<\/\1>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
