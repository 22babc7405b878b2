import { Hono } from "hono";
import { handle } from "hono/aws-lambda";

/** bench:lambda's baseline: the least an HTTP function on API Gateway can be, built the same way. */
export const handler = handle(new Hono().get("/", (c) => c.text("ok")));
