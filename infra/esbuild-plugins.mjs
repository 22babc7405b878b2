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
      if (
        !/[\\/]zod[\\/]v4[\\/](classic[\\/]external|mini[\\/]external|core[\\/]index)\.js$/.test(
          args.importer,
        )
      )
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

/**
 * The AWS SDK's default credential chain looks in a dozen places (SSO, profiles, process, IMDS, web identity)
 * and brings an SSO and an STS client along, a tenth of a megabyte. A Lambda's credentials are always its
 * execution role's, in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN: the chain's first link,
 * which is all the bundles keep. A function that found none would fail its first AWS call, loudly.
 */
const lambdaCredentialsOnly = {
  name: "lambda-credentials-only",
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) => ({
      path: args.path,
      namespace: "lambda-credentials",
      pluginData: { resolveDir: args.resolveDir },
    }));
    build.onLoad({ filter: /.*/, namespace: "lambda-credentials" }, (args) => ({
      contents: [
        `import { fromEnv } from "@aws-sdk/credential-provider-env";`,
        "export const defaultProvider = (init) => fromEnv(init);",
      ].join("\n"),
      resolveDir: args.pluginData.resolveDir,
      loader: "js",
    }));
  },
};

// Resolved here so that a zod upgrade that moves the file fails the build instead of keeping every locale.
createRequire(import.meta.url).resolve("zod/v4/locales/en.js");

export default [zodEnglishOnly, lambdaCredentialsOnly];
