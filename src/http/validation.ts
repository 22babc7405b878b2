import type { Hook } from "@hono/zod-openapi";
import { AppError } from "../errors";
import type { AppEnv } from "./env";
import { zodFieldErrors } from "./problem";

/** Request validation failures become the same problem+json as every other 400, naming each wrong field. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw new AppError("VALIDATION_FAILED", "the request is not valid", zodFieldErrors(result.error));
  }
};
