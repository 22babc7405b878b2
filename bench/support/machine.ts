import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { connectPostgres } from "../../src/db/postgres";

/** What machine the figures came from, and how busy it and the benchmark's own processes were. */

export function machine(): string {
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/**
 * Busy CPU time of the whole machine (all processes, PostgreSQL included) between two calls, from /proc/stat.
 * The benchmarks run on a shared 2-core machine: a reading well above what the bench itself uses means
 * something else was running and the figures are not to be trusted.
 */
export function machineCpu(): () => { busyCores: number; seconds: number } {
  const read = () => {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] as string)
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle, total, at: performance.now() };
  };
  const start = read();
  return () => {
    const end = read();
    const ticks = end.total - start.total;
    const busy = ticks - (end.idle - start.idle);
    return { busyCores: ticks > 0 ? (busy / ticks) * cpus().length : 0, seconds: (end.at - start.at) / 1000 };
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

/** CPU time (user + system, in ticks of 1/100 s) used so far by process `pid`, from /proc; throws if it has ended. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime, after pid and comm
}

/** CPU seconds used so far by the processes `pids`, together; one that has ended in the meantime counts nothing. */
export function processesCpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += cpuTicks(pid);
    } catch {
      // a backend that ended between the query and the read
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/**
 * CPU time (ms) used so far by the PostgreSQL backends serving database `name`, read from /proc: only when
 * PostgreSQL runs on this machine; undefined otherwise. With the process's own CPU time this gives CPU per
 * warning, which unlike wall-clock rates does not depend on how busy the shared machine is.
 */
export async function postgresCpuMs(adminUrl: string, name: string): Promise<number | undefined> {
  const admin = connectPostgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${name}`;
    let ticks = 0;
    for (const { pid } of rows) ticks += cpuTicks(pid);
    return (ticks / 100) * 1000; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU the server side used between two calls: this process (API, workers, PGlite) and, when `adminUrl` is
 * given and PostgreSQL runs here, the backends serving `database`.
 */
export function serverCpu(
  adminUrl: string | undefined,
  database: string,
): () => Promise<{ nodeMs: number; pgMs: number | undefined }> {
  const node0 = processCpuMs();
  const pg0 = adminUrl ? postgresCpuMs(adminUrl, database) : Promise.resolve(undefined);
  return async () => {
    const nodeMs = processCpuMs() - node0;
    const [before, after] = await Promise.all([
      pg0,
      adminUrl ? postgresCpuMs(adminUrl, database) : Promise.resolve(undefined),
    ]);
    return { nodeMs, pgMs: before !== undefined && after !== undefined ? after - before : undefined };
  };
}
