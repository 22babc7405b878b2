import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type LoadResult, type LoadSpec, runLoad } from "../load";
import { fmt, summarize } from "./stats";

/**
 * Runs bench:intake's load in this process ("inline") or in a fresh child (bench/client.ts, "child"), which
 * keeps the client's CPU off the server's event loop.
 */
export function loadRunner(client: "inline" | "child"): (spec: LoadSpec) => Promise<LoadResult> {
  return async (spec) => {
    if (client === "inline") return runLoad(spec);
    const child = fork(fileURLToPath(new URL("../client.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise<LoadResult>((resolve, reject) => {
      child.once("message", (result) => resolve(result as LoadResult));
      child.once("exit", (code) => {
        if (code !== 0) reject(new Error(`load client exited with ${code}`));
      });
      child.send(spec);
    });
  };
}

/** A load's requests, their statuses and round-trip percentiles, for a line of the report. */
export function describeLoad(r: LoadResult): string {
  const statuses = Object.entries(r.statuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(" ");
  const rt = summarize(r.requestMs);
  return `${r.requests} requests (${statuses}), request p50 ${fmt(rt.p50, 1)} ms p99 ${fmt(rt.p99, 1)} ms`;
}
