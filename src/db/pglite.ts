import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import * as schema from "../../schema";
import type { Database, Db } from "./client";

export interface PgliteOptions {
  /** Data directory; when absent, an in-memory database. */
  dataDir?: string;
  /** An existing PGlite instance (tests clone a migrated one). */
  pglite?: PGlite;
}

/** The embedded database `npm start` runs on: PostgreSQL compiled to WebAssembly, in this process. */
export async function openPglite(options: PgliteOptions): Promise<Database> {
  let lite = options.pglite;
  if (!lite) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    lite = options.dataDir ? await PGlite.create(join(options.dataDir, "pglite")) : await PGlite.create();
  }
  const pg = lite;
  const db = drizzle(pg, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return () => unlisten();
    },
    close: () => pg.close(),
  };
}
