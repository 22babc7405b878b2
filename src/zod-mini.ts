import { config } from "zod/mini";
import type { ParsePayload } from "zod/v4/core";
import en from "zod/v4/locales/en.js";

/**
 * zod's tree-shakable API (`zod/mini`) is what the code every process and function loads uses (settings,
 * queue messages, gateway descriptions): zod's full API is 200 KB of each cloud bundle, the parts of the mini
 * API used here about a tenth of that (issue 18's 1 MB budget). The HTTP routes keep the full API, which their
 * OpenAPI document needs. Modules import `* as z from "zod/mini"` and this module for its messages: English,
 * which the full API sets at import and the mini API leaves to its user.
 */
config(en());

export type { ParsePayload };

/** Fails the value a mini transform is given with a message of ours (the full API's ctx.addIssue). */
export function addIssue(ctx: ParsePayload, message: string): void {
  ctx.issues.push({ code: "custom", input: ctx.value, message });
}
