import { z } from "zod";
import { FRAUD_TYPES, RISK_LEVELS, WARNING_TYPES } from "../../schema";
import { timestampWithOffset } from "../timestamp-schema";

/**
 * One warning as a feed sends it. Unknown fields are ignored (feeds add fields without asking);
 * every documented field is checked, and the error names the field.
 */
export const WarningInputSchema = z.object({
  externalId: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .describe("The platform's instruction number, unique per source"),
  type: z.enum(WARNING_TYPES).describe("funds (资金预警, money moving) or a contact warning"),
  fraudType: z.enum(FRAUD_TYPES).default("other"),
  riskLevel: z.enum(RISK_LEVELS),
  subject: z.object({
    phone: z
      .string()
      .min(3)
      .max(32)
      .describe("Potential victim's phone; any common format, default region CN"),
    name: z.string().trim().max(64).optional(),
  }),
  area: z
    .object({
      code: z
        .string()
        .regex(/^\d{2,12}$/, "must be an administrative division code (digits)")
        .optional(),
      address: z.string().trim().max(200).optional(),
    })
    .optional(),
  indicators: z
    .array(z.object({ kind: z.string().trim().min(1).max(32), value: z.string().trim().min(1).max(256) }))
    .max(50)
    .default([]),
  detectedAt: timestampWithOffset().describe("When the platform detected it, with offset"),
  amountAtRisk: z.number().int().min(0).max(1e13).optional().describe("Amount at risk in fen"),
});

export type WarningInput = z.infer<typeof WarningInputSchema>;

export const WarningBatchSchema = z.object({
  warnings: z.array(z.unknown()).min(1, "at least one warning").max(1000, "at most 1,000 warnings per batch"),
});
