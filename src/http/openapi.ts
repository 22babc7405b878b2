import type { z } from "@hono/zod-openapi";

/**
 * Routes for logged-in officers accept either the bearer token (API clients) or the session cookie (console).
 * The cookie only reads: `cookieReadsOnly` drops it from the document's unsafe operations (src/http/auth.ts).
 */
export const security: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

const UNSAFE = new Set(["post", "put", "patch", "delete"]);
/** Operations that take the cookie for a change anyway (see sessionToken's `cookieForChanges`). */
const COOKIE_CHANGES = new Set(["post /v1/auth/logout"]);

type Operation = { security?: Record<string, string[]>[] };
/** The OpenAPI document as the server behaves: no unsafe operation lists the session cookie as enough. */
export function cookieReadsOnly<D extends { paths?: unknown }>(document: D): D {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!UNSAFE.has(method) || !operation?.security || COOKIE_CHANGES.has(`${method} ${path}`)) continue;
      operation.security = operation.security.filter((requirement) => !("session" in requirement));
    }
  }
  return document;
}

/** A JSON response entry for createRoute. */
export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * A PATCH body: every field optional, but at least one given. Without it `{}` (or no body at all, which the
 * validator reads as `{}`) reached the update as "nothing to set": a 500 on some resources, a silent no-op on
 * others. Now it is a 400 naming the body.
 */
export const changes = <T extends z.ZodObject>(schema: T) =>
  schema.refine((value) => Object.values(value).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });
