import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Whose work goes first when work waits for the embedded database's one connection (src/db/turns.ts):
 * a person's request, then the queues a victim or an officer waits on, then everything else. On PostgreSQL
 * each caller has a connection of its own and this changes nothing.
 */
export const DB_PRIORITIES = ["interactive", "urgent", "background"] as const;
export type DbPriority = (typeof DB_PRIORITIES)[number];

const current = new AsyncLocalStorage<DbPriority>();

/**
 * Runs `work` (and everything it starts: awaits, timers, promises) at `priority`. Work outside any such call
 * is interactive: HTTP requests, start-up, scripts, tests.
 */
export function withDbPriority<T>(priority: DbPriority, work: () => T): T {
  return current.run(priority, work);
}

/** The priority of the work calling now. */
export function currentDbPriority(): DbPriority {
  return current.getStore() ?? "interactive";
}
