/**
 * `npm run bench:lambda`: the cloud functions' bundles, built as SST builds them for a deploy
 * (scripts/lambda-bundles.ts), against the issue's budget: ≤ 1 MB minified and ≤ 300 ms of module
 * initialisation each, on this machine. Initialisation = `import()` of the handler module in a fresh Node
 * process with the environment a deployed function has (it opens no connection: postgres.js and the AWS
 * clients connect on first use), median of BENCH_RUNS processes. Baseline, built and timed the same way in the
 * same run: a bare Hono handler for API Gateway (bench/support/bare-lambda.ts).
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import {
  buildLambdaBundles,
  bytesByPackage,
  type LambdaBundle,
  lambdaEnvironment,
} from "../scripts/lambda-bundles";
import { QUEUE_NAMES } from "../src/topology";
import { loadAverage, machine } from "./support/machine";
import { fmt, summarize } from "./support/stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const OUT = resolve(".bench/lambda");
const BUDGET_BYTES = 1_000_000;
const BUDGET_INIT_MS = 300;

const env = lambdaEnvironment({
  database: { host: "127.0.0.1", port: 5432, username: "postgres", password: "unused", database: "test" },
  queueUrls: Object.fromEntries(
    QUEUE_NAMES.map((q) => [q, `https://sqs.ap-southeast-1.amazonaws.com/1/${q}`]),
  ),
});

/** Milliseconds from `import()` of the module to its top-level code having run, in a fresh process. */
function initMs(file: string, cwd: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t)); process.exit(0);`;
  return Number(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd, env }).toString(),
  );
}

function timeInit(file: string, cwd: string) {
  initMs(file, cwd); // warms the file cache, as a deployed package is on local disk
  return summarize(Array.from({ length: RUNS }, () => initMs(file, cwd)));
}

const bundles = await buildLambdaBundles(OUT);
const bareFile = join(OUT, "bare", "bare.mjs");
await build({
  entryPoints: ["bench/support/bare-lambda.ts"],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "esnext",
  minify: true,
  keepNames: true,
  outfile: bareFile,
  logLevel: "error",
});
const bare = timeInit(bareFile, join(OUT, "bare"));

console.log(`bench:lambda — ${machine()}, load ${loadAverage()}`);
console.log(
  `module initialisation: median of ${RUNS} fresh processes each; budget ${BUDGET_INIT_MS} ms, ${fmt(BUDGET_BYTES / 1e6, 1)} MB`,
);
console.log(`baseline, bare Hono handler: init p50 ${fmt(bare.p50, 1)} ms (max ${fmt(bare.max, 1)})\n`);
console.log("| function | minified | init p50 | init max | × bare | largest parts |");
console.log("| --- | ---: | ---: | ---: | ---: | --- |");
let over = false;
for (const bundle of bundles) {
  const init = timeInit(bundle.file, bundle.dir);
  over ||= bundle.bytes > BUDGET_BYTES || init.p50 > BUDGET_INIT_MS;
  console.log(
    `| ${bundle.name} | ${fmt(bundle.bytes / 1024)} KB | ${fmt(init.p50, 1)} ms | ${fmt(init.max, 1)} ms | ${fmt(init.p50 / bare.p50, 1)}× | ${largest(bundle)} |`,
  );
}
console.log(over ? "\nover budget: see the rows above" : "\nevery function within budget");

function largest(bundle: LambdaBundle): string {
  return bytesByPackage(bundle)
    .slice(0, 5)
    .map(([name, bytes]) => `${name} ${fmt(bytes / 1024)} KB`)
    .join(", ");
}
