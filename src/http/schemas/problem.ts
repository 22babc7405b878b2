import { z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode } from "../../errors";
import { idPattern } from "../../ids";

/**
 * The API document's description of what ../problem.ts answers. Apart from it so that the console, which
 * answers problems too, does not bundle the OpenAPI schemas.
 */
/** Codes beyond AppError's: an HTTP error from the framework, and the 500 that leaks nothing. */
const PROBLEM_CODES = [...(Object.keys(ERROR_STATUS) as ErrorCode[]), "HTTP_ERROR", "INTERNAL"] as const;

export const FieldErrorSchema = z
  .object({
    path: z.string().openapi({ description: "The field, dotted (warnings.0.subject.phone), or (body)" }),
    message: z.string(),
    code: z.string().optional().openapi({
      description:
        "Why, as a code, where the rule has one (a template's: signature_not_allowed, phone_landline, ...)",
    }),
    values: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .openapi({ description: "What the rule found or expected, for a client wording the code itself" }),
  })
  .openapi("FieldError");

/** What `problem` answers, for the API document: every error response refers to it. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://antifraud-alerts.local/problems/validation-failed" }),
    title: z.string().openapi({ description: "The code again" }),
    status: z.number().int(),
    code: z.enum(PROBLEM_CODES),
    detail: z.string(),
    errors: z
      .array(FieldErrorSchema)
      .optional()
      .openapi({ description: "VALIDATION_FAILED and NOT_YOUR_RECIPIENT: each field at fault" }),
    requestId: z
      .string()
      .regex(idPattern("request"))
      .openapi({ description: "The request's id in our logs" }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details (application/problem+json)" });
