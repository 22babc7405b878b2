import type postgres from "postgres";

/**
 * Statements with at most this many parameters are named. Longer ones (multi-row VALUES, long IN lists) have
 * a text that changes with their number of rows, and every variant would stay prepared on every connection.
 */
export const NAMED_STATEMENT_MAX_PARAMETERS = 32;

/**
 * The client drizzle is given: every statement it sends with few enough parameters is a named prepared
 * statement, which postgres.js keeps per connection. drizzle asks for an unnamed statement unless a query is
 * given a name, and postgres.js then spends two round trips on each statement with parameters (Parse and
 * Describe, then Bind and Execute) while PostgreSQL parses it every time; named, a statement costs one round
 * trip after its first use on a connection and is parsed once, and after five runs PostgreSQL may keep one
 * plan for it, except where `idArray` (./id-array.ts) keeps it planning per run. The connection keeps
 * PostgreSQL's default plan_cache_mode: forcing a plan per run on every statement, as this client once did,
 * also planned the foreign-key check of every inserted row, two thirds of an officer-notice insert
 * (pg_stat_statements, bench:intake). A client whose own `prepare` option is off (behind RDS Proxy, where a
 * named statement would pin the connection) still names none: postgres.js's option wins.
 */
export function namingStatements<T extends postgres.Sql<Record<string, never>>>(client: T): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === "unsafe") {
        const unsafe: T["unsafe"] = (query, parameters, options) =>
          target.unsafe(query, parameters, {
            ...options,
            prepare: (parameters?.length ?? 0) <= NAMED_STATEMENT_MAX_PARAMETERS,
          });
        return unsafe;
      }
      // A transaction's (and a savepoint's) statements go through a client of its own: named likewise.
      if (key === "begin" || key === "savepoint") {
        const open = Reflect.get(target, key, receiver) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) =>
          open(
            ...args.map((arg) =>
              typeof arg === "function" ? (scoped: T) => arg(namingStatements(scoped)) : arg,
            ),
          );
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
