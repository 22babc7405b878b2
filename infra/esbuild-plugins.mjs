/**
 * esbuild plugins for the functions' bundles: SST loads this file (`nodejs.plugins` in infra/functions.ts),
 * and `scripts/lambda-bundles.ts` builds with it too, so the bundles measured and tested are the deployed ones.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * zod re-exports every locale it has (`z.locales`, `z.core.locales`: 40-odd languages, a quarter of a megabyte minified) on the
 * namespace this code imports, so no bundler can drop them. Its error messages are set to English once, at
 * import, and this code writes its own problem details; only that locale is kept.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer))
        return undefined;
      return { path: join(dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" };
    });
    build.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
      loader: "js",
    }));
  },
};

// Resolved here so that a zod upgrade that moves the file fails the build instead of keeping every locale.
createRequire(import.meta.url).resolve("zod/v4/locales/en.js");

export default [zodEnglishOnly];
