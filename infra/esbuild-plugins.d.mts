import type { Plugin } from "esbuild";

/** Types for infra/esbuild-plugins.mjs, which stays JavaScript because SST loads it with Node directly. */
declare const plugins: Plugin[];
export default plugins;
