import type { z } from "@hono/zod-openapi";

/** Routes for logged-in officers accept either the bearer token (API clients) or the session cookie (console). */
export const security: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

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
