/**
 * bench:sms's urgent producer in a process of its own. The bench's main thread also builds, encrypts and
 * inserts the flood (1,000 reminders a transaction); a trickle on that thread had its statements sent late
 * whenever a flood batch held the event loop, and that wait was counted as the engine's urgent latency (the
 * slowest urgent SMS of a run were all queued while the flood was being queued, most of their time spent
 * before the sending runtime had even seen the job). In the station, victim warnings are queued by intake,
 * not by whatever releases the reminders. The database work of queueing the flood still competes with the
 * trickle, as it should.
 *
 * Run as a child (`main` below): it takes `{ run: phase }` and `{ stop: true }` over IPC and
 * answers with the ids queued and when each was queued (performance.timeOrigin + now(), i.e. epoch ms).
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/open";
import { buildLocalDeps } from "../../src/local/deps";
import { createLog } from "../../src/log";
import { urgentTrickle } from "./sms-probes";
import { sleep } from "./wait";

type Command = { run: string } | { stop: true } | { exit: true };
interface Queued {
  ids: string[];
  queuedAt: [string, number][];
}

export interface UrgentProducer {
  /** Queues `perSecond` warnings until `until()`; resolves to their ids, and sets when each was queued (this process's performance.now()). */
  trickle(phase: string, until: () => boolean): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts the producer process with the runtime's environment (database, keys, channel). */
export function startUrgentProducer(
  env: Record<string, string>,
  perSecond: number,
  queuedAt: Map<string, number>,
): UrgentProducer {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...env,
      URGENT_PRODUCER: "1",
      URGENT_PER_SECOND: String(perSecond),
    },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  process.once("exit", () => child.kill("SIGTERM"));
  return {
    async trickle(phase, until) {
      const done = new Promise<Queued>((resolve) => child.once("message", (m) => resolve(m as Queued)));
      child.send({ run: phase } satisfies Command);
      while (!until()) await sleep(20);
      child.send({ stop: true } satisfies Command);
      const queued = await done;
      for (const [id, at] of queued.queuedAt) queuedAt.set(id, at - performance.timeOrigin);
      return queued.ids;
    },
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ exit: true } satisfies Command);
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const keys = {
    encryptionKey: Buffer.from(process.env.PII_ENCRYPTION_KEY as string, "base64"),
    hashKey: Buffer.from(process.env.PII_HASH_KEY as string, "base64"),
  };
  const database = await openDatabase({ url: config.DATABASE_URL as string, max: 2 });
  const deps = buildLocalDeps({ config, database, log: createLog("warn"), keys });
  const queuedAt = new Map<string, number>();
  const trickle = urgentTrickle(deps, Number(process.env.URGENT_PER_SECOND), queuedAt);
  let stopping = false;
  let running: Promise<string[]> | undefined;
  process.on("message", async (m: Command) => {
    if ("run" in m) {
      stopping = false;
      queuedAt.clear();
      running = trickle(m.run, () => stopping);
    } else if ("stop" in m) {
      stopping = true;
      const ids = (await running) ?? [];
      const epoch = [...queuedAt].map(([id, t]) => [id, performance.timeOrigin + t] as [string, number]);
      process.send?.({ ids, queuedAt: epoch } satisfies Queued);
    } else {
      await database.close();
      process.exit(0);
    }
  });
}

if (process.env.URGENT_PRODUCER === "1") await main();
