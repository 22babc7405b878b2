/**
 * The functions' bundles, built the way SST builds them for a deploy (its Go runtime's esbuild options:
 * platform node, ESM, esnext, `module` before `main`, names kept, minified, its createRequire banner) with
 * the plugins infra/ passes (infra/esbuild-plugins.mjs) and the files infra/ copies beside each function.
 * `npm run bench:lambda` measures these; `npm run test:cloud` runs them.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";
import plugins from "../infra/esbuild-plugins.mjs";
import { INSTALLED_BESIDE } from "../infra/function-packages";
import { RDS_CA_FILE, writeRdsCaBundle } from "../infra/rds-ca-bundle";

export const FUNCTIONS = ["api", "console", "queue-consumer", "sns-delivery-log", "migrate"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");

export interface LambdaBundle {
  name: FunctionName;
  /** The function's package directory, as Lambda unpacks it into /var/task. */
  dir: string;
  /** The handler module, `<dir>/<name>.mjs`. */
  file: string;
  bytes: number;
  metafile: Metafile;
}

/** Builds every function into `<outDir>/<name>/`, with the CA bundle (and, for migrate, the migrations). */
export async function buildLambdaBundles(outDir: string): Promise<LambdaBundle[]> {
  rmSync(outDir, { recursive: true, force: true });
  const caBundle = writeRdsCaBundle(outDir);
  const bundles: LambdaBundle[] = [];
  for (const name of FUNCTIONS) {
    const dir = join(outDir, name);
    const file = join(dir, `${name}.mjs`);
    mkdirSync(dir, { recursive: true });
    const result = await build({
      entryPoints: [`functions/${name}.ts`],
      platform: "node",
      external: ["sharp", "pg-native", ...(INSTALLED_BESIDE[name] ?? [])],
      keepNames: true,
      bundle: true,
      metafile: true,
      outfile: file,
      format: "esm",
      target: "esnext",
      mainFields: ["module", "main"],
      banner: { js: SST_BANNER },
      minify: true,
      plugins,
      logLevel: "error",
    });
    cpSync(caBundle, join(dir, RDS_CA_FILE));
    // As SST installs them: the package itself beside the bundle, read from disk at run time.
    for (const pkg of INSTALLED_BESIDE[name] ?? []) {
      cpSync(join("node_modules", pkg), join(dir, "node_modules", pkg), { recursive: true });
    }
    if (name === "migrate") cpSync("schema/migrations", join(dir, "migrations"), { recursive: true });
    const output = result.metafile.outputs[Object.keys(result.metafile.outputs)[0] as string];
    bundles.push({ name, dir, file, bytes: output?.bytes ?? 0, metafile: result.metafile });
  }
  return bundles;
}

/** Bytes in a bundle by npm package (or by folder of this project's own code), largest first. */
export function bytesByPackage(bundle: LambdaBundle): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(bundle.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg =
        path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? path.split("/").slice(0, 2).join("/");
      totals.set(pkg, (totals.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** What a function's environment holds once deployed, for running a bundle here. */
export interface LambdaEnvironment {
  /** The database the SST link names (host, port, user, password, name). */
  database: { host: string; port: number; username: string; password: string; database: string };
  /** PEM the database's certificate must chain to (instead of the RDS bundle copied beside it). */
  caFile?: string;
  queueUrls: Record<string, string>;
  region?: string;
  extra?: Record<string, string>;
}

/**
 * The environment infra/functions.ts gives a function, with the SST links as SST_RESOURCES_JSON (how the
 * `sst` package reads them) and Lambda's own variables (region, credentials from the execution role).
 */
export function lambdaEnvironment(env: LambdaEnvironment): Record<string, string> {
  const key = () => Buffer.alloc(32, 7).toString("base64");
  return {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    AWS_REGION: env.region ?? "ap-southeast-1",
    AWS_ACCESS_KEY_ID: "AKIDLAMBDAROLE",
    AWS_SECRET_ACCESS_KEY: "lambda-role-secret",
    AWS_SESSION_TOKEN: "lambda-role-session",
    QUEUE_URLS: JSON.stringify(env.queueUrls),
    SMS_CHANNEL: "sns",
    OUTBOX_RECEIPT_DELAY_MS: "-1",
    ...(env.caFile ? { DATABASE_CA_FILE: env.caFile } : { DATABASE_CA_FILE: RDS_CA_FILE }),
    SST_RESOURCES_JSON: JSON.stringify({
      Database: env.database,
      PiiEncryptionKey: { value: key() },
      PiiHashKey: { value: key() },
    }),
    ...env.extra,
  };
}
