import { handle } from "hono/aws-lambda";
import { buildCloudDeps } from "../src/cloud/deps";
import { loadCloudConfig } from "../src/config";
import { createApp } from "../src/http/app";

/**
 * The HTTP API behind API Gateway: the same `createApp` `npm start` serves. Dependencies (and the database
 * pool) are built once per Lambda instance, at cold start, and reused by every request it serves.
 */
const deps = await buildCloudDeps(await loadCloudConfig());

export const handler = handle(createApp(deps));
