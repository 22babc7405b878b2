import postgres from "postgres";
import type { TestProject } from "vitest/node";

/**
 * Once per run, in the main vitest process: name the run, and on PostgreSQL keep the server clean. Every
 * database a run creates is named `af_w_<run>_...` (test/support/db.ts), where <run> is this process's pid;
 * teardown drops this run's, and setup drops what earlier runs left behind (a run killed before its
 * teardown, and the per-test databases of the harness before this one), never a live run's.
 */
export default async function setup(project: TestProject) {
  const runId = String(process.pid);
  project.provide("testRunId", runId);
  const url = process.env.DATABASE_URL;
  if (!url) return;
  await dropDatabases(url, (name) => isLeftover(name));
  return () => dropDatabases(url, (name) => name.startsWith(`af_w_${runId}_`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A database some earlier run created and did not drop: its creator's process is gone. */
export function isLeftover(name: string, isAlive: (pid: number) => boolean = alive): boolean {
  const run = /^af_w_(\d+)_/.exec(name);
  if (run) return !isAlive(Number(run[1]));
  // The previous harness: per-worker templates named by worker pid, per-test copies and the durability
  // test's databases named at random. Those without a pid are dropped only when nobody is connected
  // (dropDatabases does not force them), so a run still on the old harness keeps its databases.
  const template = /^af_tpl_(\d+)_/.exec(name);
  if (template) return !isAlive(Number(template[1]));
  return /^af_(t|dur)_[0-9a-f]+$/.test(name);
}

async function dropDatabases(url: string, select: (name: string) => boolean): Promise<void> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<
      { datname: string }[]
    >`select datname from pg_database where datname like 'af\\_%'`;
    for (const { datname } of rows.filter((r) => select(r.datname))) {
      // Only this run's own and a dead run's databases are forced; anything else must be idle to go.
      const force = /^af_w_/.test(datname);
      await admin
        .unsafe(`drop database if exists "${datname}"${force ? " with (force)" : ""}`)
        .catch(() => {});
    }
  } finally {
    await admin.end();
  }
}
