import type { OpenAPIHono } from "@hono/zod-openapi";
import { API_GUIDE } from "./api-guide";
import type { AppEnv } from "./env";
import { byAudience } from "./openapi-audience";
import { withExamples } from "./openapi-examples";
import { SECURITY, TAGS } from "./route-parts";

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

/**
 * Registers what the app's operations refer to (security schemes; schemas register themselves through
 * `.openapi(name)`) and returns the builder of the document /openapi.json and /docs serve. Every operation
 * says who may call it; the document-wide default is the bearer token, never the cookie.
 */
export function apiDocument(app: OpenAPIHono<AppEnv>) {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An officer's session token (POST /v1/auth/login) or a partner's API key (pk_…)",
  });
  registry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "af_session",
    description: "The console's session: reads the JSON API (GET); changes need the bearer token.",
  });
  registry.registerComponent("securitySchemes", "signature", {
    type: "apiKey",
    in: "header",
    name: "X-Signature",
    description:
      "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\"> with the feed source's secret, the partner's webhook secret or SMS_INBOUND_SECRET; t must be within the tolerance window",
  });
  const config = {
    openapi: "3.1.0",
    info: {
      title: "antifraud-alerts",
      version: "0.1.0",
      description: API_GUIDE,
    },
    // Relative: the document describes the server that serves it, wherever that is deployed.
    servers: [{ url: "/", description: "This server" }],
    security: SECURITY.bearer,
    tags: [...TAGS],
  };
  return () => withExamples(byAudience(cookieReadsOnly(app.getOpenAPI31Document(config))));
}
