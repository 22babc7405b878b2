import { OpenAPIHono } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { buildCloudDeps } from "../src/cloud/deps";
import { loadCloudConfig } from "../src/config";
import { mountApi } from "../src/http/api-surface";
import { withBase } from "../src/http/base-app";
import type { AppEnv } from "../src/http/env";

/**
 * The JSON API behind API Gateway (/v1, /openapi.json, /docs): the routes `npm start` serves, without the
 * console, which has a function of its own (functions/console.ts) so neither bundle carries the other.
 * Dependencies (and the database pool) are built once per Lambda instance, at cold start, and reused by every
 * request it serves.
 */
const deps = await buildCloudDeps(await loadCloudConfig());
const app = withBase(new OpenAPIHono<AppEnv>(), deps);
mountApi(app, deps);

export const handler = handle(app);
