/**
 * `npm run build`: the station server as plain JavaScript in dist/, for `npm run start:prod` (`node
 * dist/main.js`) under a service manager, without tsx compiling TypeScript at every start. Dependencies stay
 * in node_modules (PGlite loads its WebAssembly from there); the migrations are copied beside the bundles,
 * where src/db/migrate.ts looks first. The administrator's commands are bundled too, so a server whose dev
 * dependencies were pruned after building can still run them.
 */
import { cpSync, rmSync } from "node:fs";
import { build } from "esbuild";

const ENTRIES = {
  main: "src/local/main.ts",
  setup: "scripts/setup.ts",
  migrate: "scripts/migrate.ts",
  backup: "scripts/backup.ts",
  restore: "scripts/restore.ts",
};

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: ENTRIES,
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
cpSync("schema/migrations", "dist/migrations", { recursive: true });
process.stdout.write(`built dist/: ${Object.keys(ENTRIES).join(", ")} and migrations\n`);
