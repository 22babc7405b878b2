import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { buildCloudDeps } from "../src/cloud/deps";
import { loadCloudConfig } from "../src/config";
import { mountConsole } from "../src/console/surface";
import { withBase } from "../src/http/base-app";
import type { AppEnv } from "../src/http/env";

/**
 * The console's pages behind API Gateway (/console and the site root): the pages `npm start` serves, in a
 * function of its own so the JSON API's bundle (functions/api.ts) does not carry them, nor this one the API.
 */
const deps = await buildCloudDeps(await loadCloudConfig());
const app = withBase(new Hono<AppEnv>(), deps);
mountConsole(app, deps);

export const handler = handle(app);
