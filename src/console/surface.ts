import type { Hono } from "hono";
import type { Deps } from "../deps";
import type { AppEnv } from "../http/env";
import { consoleRoutes } from "./routes";

/** The officers', supervisors' and admins' pages under /console, and the site root that leads there. */
export function mountConsole(app: Hono<AppEnv>, deps: Deps): void {
  app.route("/console", consoleRoutes(deps));
  app.get("/", (c) => c.redirect("/console"));
}
