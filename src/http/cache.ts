import { createMiddleware } from "hono/factory";

/**
 * Nothing this app answers may sit in a browser's or a proxy's cache unless its route says so: alert views,
 * revealed numbers and console pages carry personal data (PIPL), and the rest is per-caller. Routes serving
 * public, unchanging things (the console's stylesheet and script) set their own Cache-Control.
 */
export const noStoreByDefault = () =>
  createMiddleware(async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.res.headers.set("Cache-Control", "no-store");
  });
