import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { CONSOLE_GATEWAY_ROUTES } from "../../src/console/gateway-routes";
import { mountConsole } from "../../src/console/surface";
import { mountApi } from "../../src/http/api-surface";
import { withBase } from "../../src/http/base-app";
import type { AppEnv } from "../../src/http/env";
import { createTestContext } from "../support/context";

/** Whether API Gateway sends `method path` to the console's function rather than to `$default` (the API's). */
function toConsole(method: string, path: string): boolean {
  return CONSOLE_GATEWAY_ROUTES.some((route) => {
    const [routeMethod, routePath = ""] = route.split(" ");
    if (routeMethod !== "ANY" && routeMethod !== method) return false;
    if (routePath.endsWith("/{proxy+}")) return path.startsWith(`${routePath.slice(0, -"{proxy+}".length)}`);
    return path === routePath;
  });
}

/** The concrete routes a surface adds to the shared base (middleware on `*` and /healthz are in both). */
function routesOf(mount: typeof mountApi, deps: Parameters<typeof mountApi>[1]) {
  const base = new Set(withBase(new OpenAPIHono<AppEnv>(), deps).routes.map((r) => `${r.method} ${r.path}`));
  const app = withBase(new OpenAPIHono<AppEnv>(), deps);
  mount(app, deps);
  return app.routes
    .filter((r) => r.method !== "ALL" && !base.has(`${r.method} ${r.path}`))
    .map((r) => ({ method: r.method, path: r.path.replace(/:[^/]+/g, "x").replace(/\*$/, "x") }));
}

describe("API Gateway's routes to the two HTTP functions", () => {
  it("send every console page to the console's function and every API route to the API's", async () => {
    const { deps } = await createTestContext();
    const pages = routesOf(mountConsole, deps);
    const api = routesOf(mountApi, deps);
    expect(pages.length).toBeGreaterThan(20);
    expect(api.length).toBeGreaterThan(50);
    expect(pages.filter((r) => !toConsole(r.method, r.path))).toEqual([]);
    expect(api.filter((r) => toConsole(r.method, r.path))).toEqual([]);
    // The site root and the console's own root go to the pages.
    expect(toConsole("GET", "/")).toBe(true);
    expect(toConsole("GET", "/console")).toBe(true);
    expect(toConsole("POST", "/v1/feeds/src_1/warnings")).toBe(false);
    expect(toConsole("GET", "/openapi.json")).toBe(false);
  });
});
