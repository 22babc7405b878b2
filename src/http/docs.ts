import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { html } from "hono/html";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";

/**
 * The API reference at /docs: Swagger UI (swagger-ui-dist, from the lockfile and served from node_modules by this
 * route — no CDN, so it works on an offline station network) reading /openapi.json, with "Try it out" against
 * this server. The page keeps the console's Content-Security-Policy: scripts and styles from this origin only,
 * nothing inline. Swagger UI sets styles through the DOM, which that policy allows.
 *
 * swagger-ui-dist is pinned to 5.17.14, the last release without a dependency: later ones depend on
 * @scarf/scarf, whose install script reports each installation to a third party.
 */

const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

/** Where swagger-ui-dist is installed: beside the app locally and on a station server, beside the bundle in Lambda. */
const swaggerDir = () => dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** Starts Swagger UI on the page; a file of our own, since the policy allows no inline script. */
const INIT = `"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "none",
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    filter: true,
    // No third-party validator badge: the page talks to this server only.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

/** A few touches: the page's own header, and the guide's code blocks scroll instead of widening the page. */
const STYLE = `body { margin: 0; font-family: system-ui, sans-serif; }
.af-header { background: #1f3a5f; color: #fff; padding: 0.75rem 1rem; display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: baseline; }
.af-header h1 { font-size: 1.15rem; margin: 0; }
.af-header a { color: #fff; }
.swagger-ui .info .markdown pre { max-height: 28rem; overflow: auto; }
.swagger-ui .info { margin: 1.5rem 0; }
.swagger-ui .info .title small pre { background: none; }
`;

const ASSETS: Record<string, { file?: string; text?: string; type: string }> = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  "docs.js": { text: INIT, type: "text/javascript; charset=utf-8" },
  "docs.css": { text: STYLE, type: "text/css; charset=utf-8" },
};

const loaded = new Map<string, string>();
function asset(name: string): string | undefined {
  const spec = ASSETS[name];
  if (!spec) return undefined;
  if (spec.text) return spec.text;
  let body = loaded.get(name);
  if (body === undefined) {
    body = readFileSync(join(swaggerDir(), spec.file as string), "utf8");
    loaded.set(name, body);
  }
  return body;
}

const page = (title: string) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} — API reference</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <link rel="stylesheet" href="/docs/assets/docs.css" />
  </head>
  <body>
    <header class="af-header">
      <h1>${title} — API reference</h1>
      <a href="/openapi.json">openapi.json</a>
      <a href="/console">Console</a>
    </header>
    <main id="swagger-ui"></main>
    <noscript><p>This reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/docs.js"></script>
  </body>
</html>`;

export function docsRoutes(title: string) {
  const app = new Hono<AppEnv>();
  app.use("/docs", secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: "same-origin" }));
  app.use("/docs/*", secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: "same-origin" }));
  app.get("/docs", (c) => c.html(page(title)));
  app.get("/docs/assets/:name", (c) => {
    const name = c.req.param("name");
    const body = asset(name);
    if (body === undefined) return c.notFound();
    // The files change only with a new release of the package (or of this server): a day in the cache is fine.
    return c.body(body, 200, {
      "content-type": (ASSETS[name] as { type: string }).type,
      "cache-control": "public, max-age=86400",
    });
  });
  return app;
}
