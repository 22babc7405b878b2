import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "./wait";

/** A port nothing listens on now, for a runtime's health check (the runtime is told to use it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface ChildRuntimes {
  children: ChildProcess[];
  /** Spawns `src/local/main.ts` with `env` on a free port; resolves once it answers /healthz, with that port. */
  start(name: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }>;
  /** SIGTERM to each, SIGKILL after 20 s; resolves when all have exited. */
  stop(): Promise<void>;
}

/**
 * Local runtimes in child processes, for benchmarks where several processes share the database (the SMS
 * limiter). However this process ends (an error, a timeout, Ctrl-C), its runtimes do not outlive it.
 */
export function childRuntimes(): ChildRuntimes {
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill("SIGTERM");
          }),
      ),
    );
  };
  process.once("exit", () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  });
  process.once("SIGINT", () => {
    void stop().finally(() => process.exit(130));
  });

  async function start(name: string, env: Record<string, string>) {
    const port = await freePort();
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the runtimes.
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/local/main.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...env,
        PORT: String(port),
      },
      // Logs at info like production, written nowhere: their cost is in the figures, not on this terminal.
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(child);
    await waitFor(
      `${name} on port ${port}`,
      async () => {
        if (child.exitCode !== null) {
          await stop();
          throw new Error(`${name} exited with ${child.exitCode}`);
        }
        try {
          return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      60_000,
      200,
    );
    return { child, port };
  }

  return { children, start, stop };
}
