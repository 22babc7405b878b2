import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { inject } from "vitest";
import type { Database } from "../../src/db/client";
import { migrateDatabase } from "../../src/db/migrate";
import { openDatabase } from "../../src/db/open";

/** Which database this test project runs on (see vitest.config.ts). */
export const TEST_DB = process.env.TEST_DB === "postgres" ? "postgres" : "pglite";

/**
 * Test databases: migrate once per worker, reset per test.
 *
 * A worker (one vitest process; files run one after another in it, see vitest.config.ts) owns a few
 * migrated databases, "slots", created on first need and reused for the rest of the run. `freshDatabase()`
 * takes the first slot no open lease holds, empties it (every table truncated in one statement, identities
 * and sequences restarted, advisory locks and session state dropped) and hands out a lease on it. The lease
 * ends after the test (test/support/setup.ts): from then on its handle refuses queries, so work a test left
 * running cannot write into the next test's database. A second `freshDatabase()` in the same test gets a
 * second slot, so the two never see each other's rows either.
 *
 * On PostgreSQL a slot is a database of its own, `af_w_<run>_<worker pid>_<slot>`: no two workers share one
 * (the pid is in the name), and the run's global teardown (test/support/global-setup.ts) drops them all.
 */

/** Why a query on an ended lease fails: the test that opened it is over. */
const LEASE_ENDED = "this test database's lease has ended (the test that opened it is over)";
/** A reset that takes longer than this is stuck (a transaction left open): the slot is replaced. */
const RESET_TIMEOUT_MS = 20_000;

interface Lease {
  database: Database;
  end(): Promise<void>;
}

interface Slot {
  index: number;
  url?: string;
  leased: boolean;
  /** Empties the database; rejects (or never settles) when the slot is unusable. */
  reset(): Promise<void>;
  open(): Promise<Lease>;
  /** Releases what the worker holds on the slot (not the database itself on PostgreSQL). */
  dispose(): Promise<void>;
}

const slots: (Promise<Slot> | undefined)[] = [];
const leases: { slot: Slot; lease: Lease }[] = [];

/** Tables a reset empties and sequences it restarts: everything but the migrations' own bookkeeping. */
const RESET_TARGETS = `
  select 'table' as kind, format('%I.%I', schemaname, tablename) as name, null::bigint as start
    from pg_tables where schemaname not in ('pg_catalog', 'information_schema', 'drizzle')
  union all
  select 'sequence', format('%I.%I', schemaname, sequencename), start_value
    from pg_sequences where schemaname not in ('pg_catalog', 'information_schema', 'drizzle')`;

/** Dead rows PGlite may pile up (it has no autovacuum) before a reset truncates instead of deleting. */
const DEAD_ROWS_BEFORE_TRUNCATE = 20_000;

/**
 * How a slot goes back to its just-migrated state. Measured on this 2-core machine (TESTING.md): TRUNCATE
 * of every table costs about 0.2 s on PGlite and 0.7 s on PostgreSQL (each table gets new files, fsynced),
 * while deleting the rows of the few tables a test filled costs about 15 ms on either. So a reset asks which
 * tables have rows, deletes those with triggers off (session_replication_role = replica: the append-only
 * triggers refuse deletes, and foreign keys need no ordering when every table ends empty) and puts every
 * sequence back to its start. TRUNCATE ... RESTART IDENTITY CASCADE remains for a role that may not switch
 * triggers off, and on PGlite now and then to shed the dead rows deletes leave.
 */
class ResetPlan {
  private readonly tables: string[];
  private readonly sequences: { name: string; start: number }[];
  readonly probe: string;
  constructor(
    targets: { kind: string; name: string; start: number | string | null }[],
    private readonly canDisableTriggers: boolean,
  ) {
    this.tables = targets.filter((t) => t.kind === "table").map((t) => t.name);
    this.sequences = targets
      .filter((t) => t.kind === "sequence")
      .map((t) => ({ name: t.name, start: Number(t.start) }));
    const literal = (name: string) => `'${name.replaceAll("'", "''")}'`;
    this.probe = `select array_remove(array[${this.tables
      .map((t) => `case when exists (select 1 from ${t}) then ${literal(t)} end`)
      .join(", ")}]::text[], null) as tables`;
  }

  /** The script that empties the database, given the tables that have rows. */
  script(nonEmpty: string[], truncate: boolean): string {
    const statements: string[] = [];
    if (truncate || !this.canDisableTriggers) {
      statements.push(`truncate ${this.tables.join(", ")} restart identity cascade`);
    } else if (nonEmpty.length > 0) {
      statements.push("set session_replication_role = replica");
      for (const table of nonEmpty) statements.push(`delete from ${table}`);
      statements.push("reset session_replication_role");
    }
    if (this.sequences.length > 0) {
      const literal = (name: string) => `'${name.replaceAll("'", "''")}'`;
      statements.push(
        `select ${this.sequences.map((s) => `setval(${literal(s.name)}, ${s.start}, false)`).join(", ")}`,
      );
    }
    // Session state a test may have left on a connection that outlives it (PGlite's only one).
    statements.push("select pg_advisory_unlock_all()", "reset all", "discard temp");
    return statements.join(";\n");
  }
}

const CAN_DISABLE_TRIGGERS = "select rolsuper as ok from pg_roles where rolname = current_user";

/** The first slot's files right after migrating: later slots load them instead of migrating again. */
let pristine: Promise<Blob | File> | undefined;

async function migratedPglite(): Promise<PGlite> {
  if (pristine) return PGlite.create({ loadDataDir: await pristine });
  const lite = await PGlite.create();
  await migrateDatabase(await openDatabase({ pglite: lite }));
  const dump = lite.dumpDataDir("none");
  pristine = dump;
  dump.catch(() => {
    if (pristine === dump) pristine = undefined;
  });
  await dump;
  return lite;
}

async function pgliteSlot(index: number): Promise<Slot> {
  const lite = await migratedPglite();
  const targets = (await lite.query<{ kind: string; name: string; start: number | null }>(RESET_TARGETS))
    .rows;
  const superuser = (await lite.query<{ ok: boolean }>(CAN_DISABLE_TRIGGERS)).rows[0]?.ok === true;
  const plan = new ResetPlan(targets, superuser);
  let deadRows = 0;
  return {
    index,
    leased: false,
    async reset() {
      if (lite.isInTransaction()) await lite.exec("rollback");
      const nonEmpty = (await lite.query<{ tables: string[] }>(plan.probe)).rows[0]?.tables ?? [];
      const truncate = deadRows > DEAD_ROWS_BEFORE_TRUNCATE;
      const results = await lite.exec(plan.script(nonEmpty, truncate));
      deadRows = truncate ? 0 : deadRows + results.reduce((n, r) => n + (r.affectedRows ?? 0), 0);
    },
    async open() {
      let open = true;
      // The test's handle on the shared instance: every method refuses once the lease has ended.
      // Methods are bound to the instance itself, whose private fields a Proxy receiver could not reach.
      const guarded = new Proxy(lite, {
        get(target, property) {
          const value = Reflect.get(target, property, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            if (!open) return Promise.reject(new Error(LEASE_ENDED));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const inner = await openDatabase({ pglite: guarded });
      const unlistens = new Set<() => Promise<void>>();
      const end = async () => {
        if (!open) return;
        open = false;
        // Listeners are callbacks on the shared instance: drop them, or they would hear the next test.
        for (const unlisten of [...unlistens]) await unlisten().catch(() => {});
        unlistens.clear();
      };
      const database: Database = {
        db: inner.db,
        kind: "pglite",
        async listen(channel, onNotify) {
          if (!open) throw new Error(LEASE_ENDED);
          const unlisten = await lite.listen(channel, onNotify);
          const once = async () => {
            if (!unlistens.delete(once)) return;
            await unlisten();
          };
          unlistens.add(once);
          return once;
        },
        close: end,
      };
      return { database, end };
    },
    dispose: () => lite.close().catch(() => {}),
  };
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function adminClient() {
  return postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} });
}

/** This run's id, from the global setup; database names carry it so teardown finds every one. */
export function testRunId(): string {
  return inject("testRunId") ?? String(process.ppid);
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's id (the main vitest process's pid), set by test/support/global-setup.ts. */
    testRunId: string;
  }
}

/** The prefix of every database this run creates on PostgreSQL. */
export function runDatabasePrefix(runId = testRunId()): string {
  return `af_w_${runId}_`;
}

let dedicatedCounter = 0;

/**
 * An empty, unmigrated PostgreSQL database of this run (named like the worker's slots, so the global
 * teardown drops it even if the test dies), for a test that hands a URL to something that migrates on its
 * own: another process, the whole local runtime. `drop()` removes it at once.
 */
export async function emptyPostgresDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  dedicatedCounter += 1;
  const name = `${runDatabasePrefix()}${process.pid}_${label}${dedicatedCounter}`;
  const admin = adminClient();
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(process.env.DATABASE_URL as string, name),
    async drop() {
      const sql = adminClient();
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}

async function postgresSlot(index: number): Promise<Slot> {
  const name = `${runDatabasePrefix()}${process.pid}_${index}`;
  const admin = adminClient();
  try {
    // A worker pid is reused only by a later run's worker; its run id differs, so this is a leftover.
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(process.env.DATABASE_URL as string, name);
  const bootstrap = await openDatabase({ url, max: 1 });
  await migrateDatabase(bootstrap, url);
  await bootstrap.close();
  // The worker's own connection to its slot, kept for resets.
  const control = postgres(url, { max: 1, onnotice: () => {} });
  const targets = await control.unsafe<{ kind: string; name: string; start: string | null }[]>(RESET_TARGETS);
  const [role] = await control.unsafe<{ ok: boolean }[]>(CAN_DISABLE_TRIGGERS);
  const plan = new ResetPlan(targets, role?.ok === true);
  return {
    index,
    url,
    leased: false,
    async reset() {
      // Whatever an earlier test left connected (a client it did not close, a child process) goes first:
      // its locks would hold the truncate, and its session state (LISTEN, advisory locks) must not carry over.
      await control`select pg_terminate_backend(pid) from pg_stat_activity
                     where datname = current_database() and pid <> pg_backend_pid()`;
      const [probe] = await control.unsafe<{ tables: string[] }[]>(plan.probe);
      // PostgreSQL's autovacuum clears the dead rows deletes leave; no truncate needed.
      await control.unsafe(plan.script(probe?.tables ?? [], false)).simple();
    },
    async open() {
      const database = await openDatabase({ url, max: 5 });
      let open = true;
      const end = async () => {
        if (!open) return;
        open = false;
        await database.close().catch(() => {});
      };
      return { database: { ...database, close: end }, end };
    },
    dispose: () => control.end({ timeout: 5 }).catch(() => {}),
  };
}

function createSlot(index: number): Promise<Slot> {
  return TEST_DB === "postgres" ? postgresSlot(index) : pgliteSlot(index);
}

function slot(index: number): Promise<Slot> {
  let existing = slots[index];
  if (!existing) {
    existing = createSlot(index);
    slots[index] = existing;
    // A failed creation is not cached: the next test tries again.
    existing.catch(() => {
      if (slots[index] === existing) slots[index] = undefined;
    });
  }
  return existing;
}

async function resetWithin(s: Slot, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      s.reset(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`resetting test database ${s.index} timed out`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Makes sure this worker's first database exists and is migrated, without leasing it (for beforeAll). */
export async function warmDatabase(): Promise<void> {
  await slot(0);
}

/** A fresh, migrated, empty database for one test. Its lease ends after the test. */
export async function freshDatabase(): Promise<{ database: Database; url?: string }> {
  // Claimed in the same tick it is found free, so two contexts created at once get two slots.
  let index = 0;
  let s: Slot;
  for (; ; index++) {
    s = await slot(index);
    if (!s.leased) {
      s.leased = true;
      break;
    }
  }
  try {
    await resetWithin(s, RESET_TIMEOUT_MS);
  } catch {
    // Stuck or broken (a transaction a test never finished): a new database takes the slot's place.
    void s.dispose();
    slots[index] = undefined;
    s = await slot(index);
    s.leased = true;
  }
  try {
    const lease = await s.open();
    leases.push({ slot: s, lease });
    return { database: lease.database, url: s.url };
  } catch (error) {
    s.leased = false;
    throw error;
  }
}

/** Ends every lease taken since the last call (test/support/setup.ts runs it after each test). */
export async function endTestDatabaseLeases(): Promise<void> {
  const ended = leases.splice(0);
  await Promise.all(ended.map(({ lease }) => lease.end().catch(() => {})));
  for (const { slot: s } of ended) s.leased = false;
}
