import type { Hook } from "@hono/zod-openapi";
import type { ZodType } from "zod";
import { AppError, zodFieldErrors } from "../errors";
import type { AppEnv } from "./env";

/** Request validation failures become the same problem+json as every other 400, naming each wrong field. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw new AppError("VALIDATION_FAILED", "the request is not valid", zodFieldErrors(result.error));
  }
};

/**
 * A batch body parsed against its envelope schema, or the 400 that says the envelope's shape
 * (`{ warnings: [1..1000 items] }`) and names each wrong field. Items are validated one by one afterwards,
 * by the use case, so one bad item never sinks the batch.
 */
export function parseBatchBody<T>(schema: ZodType<T>, value: unknown, shape: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError("VALIDATION_FAILED", `the body must be ${shape}`, zodFieldErrors(parsed.error));
  }
  return parsed.data;
}
