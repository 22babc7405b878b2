/**
 * Progress on stderr, in seconds since `started`, so a slow phase shows where it is; the figures go to stdout.
 * Returns the function a benchmark calls at each step.
 */
export function progress(started = performance.now()): (what: string) => void {
  return (what) => {
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
  };
}
