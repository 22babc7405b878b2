import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * The route that will answer this request ("POST /v1/feeds/:sourceId/warnings"), as seen from an app-wide
 * middleware: the last matched route registered for a method, since `use()` middleware is registered for ALL.
 * Undefined when no route matches (the request ends in a 404).
 */
export function endpointOf(c: Context): { method: string; path: string } | undefined {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return { method: route.method, path: route.path };
  }
  return undefined;
}
