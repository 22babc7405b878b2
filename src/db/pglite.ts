import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import * as schema from "../../schema";
import type { Database, Db } from "./client";
import { currentDbPriority } from "./priority";
import { PriorityTurns } from "./turns";

export interface PgliteOptions {
  /** Data directory; when absent, an in-memory database. */
  dataDir?: string;
  /** An existing PGlite instance (tests clone a migrated one). */
  pglite?: PGlite;
  /** How long lower-priority work may wait behind requests before it takes a turn (src/db/turns.ts). */
  agedAfterMs?: number;
  /** How long after a request's turn queue work may take the connection (src/db/turns.ts). */
  quietMs?: number;
}

/**
 * How long a queue worker waits at most for the connection while requests keep it busy. Long enough that a
 * burst of requests keeps nearly all of the one thread (a worker turn is a statement or a batch's
 * transaction, a few milliseconds), short enough that urgent SMS still move during the burst.
 */
const AGED_AFTER_MS = 50;

/**
 * Queue work waits this long after a request's turn: during a burst the next request is still being parsed,
 * validated and encrypted on the same thread (about 20 ms for a batch of 100 warnings), and a worker taking
 * the connection then would take the thread from it too. Outside bursts the workers lose nothing that matters.
 */
const QUIET_MS = 20;

/** The embedded database `npm start` runs on: PostgreSQL compiled to WebAssembly, in this process. */
export async function openPglite(options: PgliteOptions): Promise<Database> {
  let lite = options.pglite;
  if (!lite) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    lite = options.dataDir ? await PGlite.create(join(options.dataDir, "pglite")) : await PGlite.create();
  }
  const pg = lite;
  const turns = new PriorityTurns({
    agedAfterMs: options.agedAfterMs ?? AGED_AFTER_MS,
    quietMs: options.quietMs ?? QUIET_MS,
  });
  const db = drizzle({ client: takingTurns(pg, turns), schema, casing: "snake_case" }) as unknown as Db;
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

/**
 * The client drizzle is given: each statement outside a transaction, and each whole transaction, waits for its
 * turn by the caller's priority (src/db/priority.ts) before PGlite runs it. Statements inside a transaction
 * go straight to it: the transaction already holds the turn. Only what drizzle calls is wrapped.
 */
function takingTurns(pg: PGlite, turns: PriorityTurns): PGlite {
  const client = {
    query: (...args: Parameters<PGlite["query"]>) => turns.run(currentDbPriority(), () => pg.query(...args)),
    exec: (...args: Parameters<PGlite["exec"]>) => turns.run(currentDbPriority(), () => pg.exec(...args)),
    transaction: <T>(work: (tx: Transaction) => Promise<T>) =>
      turns.run(currentDbPriority(), () => pg.transaction(work)),
  };
  return client as unknown as PGlite;
}
