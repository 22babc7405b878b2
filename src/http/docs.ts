import { html } from "hono/html";

interface OpenApiDoc {
  info: { title: string; description?: string };
  paths?: object;
}

/**
 * A readable index of the API, rendered on the server from the same OpenAPI document as /openapi.json.
 * It needs no script or CDN, so it works on an offline station network.
 */
export function docsPage(doc: OpenApiDoc) {
  const paths = (doc.paths ?? {}) as Record<
    string,
    Record<string, { summary?: string; description?: string }>
  >;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, ...op })),
  );
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${doc.info.title} API</title>
    <style>
      body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
      code { background: #f3f3f3; padding: 0.1rem 0.3rem; border-radius: 3px; }
      li { margin: 0.6rem 0; }
    </style>
  </head>
  <body>
    <h1>${doc.info.title}</h1>
    <p>${doc.info.description ?? ""}</p>
    <p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
    <ul>
      ${operations.map(
        (op) =>
          html`<li><code>${op.method} ${op.path}</code> — ${op.summary ?? ""}${op.description ? html`<br /><small>${op.description}</small>` : ""}</li>`,
      )}
    </ul>
  </body>
</html>`;
}
