import type { z } from "@hono/zod-openapi";

/** Routes for logged-in officers accept either the bearer token (API clients) or the session cookie (console). */
export const security: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

/** A JSON response entry for createRoute. */
export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
