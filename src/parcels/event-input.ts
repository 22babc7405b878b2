import { z } from "zod";
import { PARCEL_EVENT_KINDS } from "../../schema";
import { timestampWithOffset } from "../timestamp-schema";

/**
 * One parcel event as a partner reports it. Unknown fields are ignored (partners add fields without asking);
 * every documented field is checked, and each error names its field.
 */
export const ParcelEventInputSchema = z.object({
  waybillNo: z
    .string()
    .trim()
    .min(4)
    .max(40)
    .regex(/^[A-Za-z0-9-]+$/, "letters, digits and hyphens only")
    .describe("The partner's waybill number (运单号)"),
  kind: z.enum(PARCEL_EVENT_KINDS),
  recipientPhone: z
    .string()
    .min(3)
    .max(32)
    .describe("The recipient's phone; any common format, default region CN"),
  area: z.object({
    code: z
      .string()
      .regex(/^\d{2,12}$/, "must be an administrative division code (digits)")
      .describe("Where the parcel is delivered or picked up, e.g. 652301105201"),
  }),
  occurredAt: timestampWithOffset().describe("When the event happened, with offset"),
  pickupPoint: z.string().trim().min(1).max(100).optional().describe("The pickup point (驿站) name"),
});

export type ParcelEventInput = z.infer<typeof ParcelEventInputSchema>;

export const MAX_PARCEL_EVENTS = 1000;

export const ParcelEventBatchSchema = z.object({
  events: z
    .array(z.unknown())
    .min(1, "at least one event")
    .max(MAX_PARCEL_EVENTS, "at most 1,000 events per request"),
});
