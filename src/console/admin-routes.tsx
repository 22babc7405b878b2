import { Hono } from "hono";
import type { Deps } from "../deps";
import { ADMIN_CSS } from "./admin-assets";
import { AdminPage, adminContext, adminOnly } from "./admin-layout";
import { ADMIN_SECTIONS } from "./admin-nav";
import type { ConsoleContext, ConsoleEnv } from "./context";

/**
 * The admin area's frame: its stylesheet and the landing page listing the sections (./admin-nav.ts). Each
 * section is a route module of its own (./admin-<section>-routes.tsx), mounted beside this in ./routes.tsx.
 */
export function adminRoutes(deps: Deps) {
  const app = new Hono<ConsoleEnv>();
  app.get("/assets/admin.css", (c) =>
    c.body(ADMIN_CSS, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=300",
    }),
  );
  app.use("/admin", adminOnly("admForbidden"));
  app.use("/admin/*", adminOnly("admForbidden"));
  app.get("/admin", (c) => {
    const ctx = adminContext(c as ConsoleContext, deps);
    const { t } = ctx.i18n;
    return c.html(
      <AdminPage ctx={ctx} title={t.admTitle}>
        <p>{t.admIntro}</p>
        <ul class="adm-sections">
          {ADMIN_SECTIONS.map((s) => (
            <li>
              <a href={s.href}>
                <strong>{t[s.labelKey]}</strong>
                {s.hintKey && <span class="muted">{t[s.hintKey]}</span>}
              </a>
            </li>
          ))}
        </ul>
      </AdminPage>,
    );
  });
  return app;
}
