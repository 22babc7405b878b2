import { z } from "zod";

/**
 * How to call one SMS HTTP API: a partner's own gateway (partners.smsApi) or a domestic provider used as
 * the police channel (SMS_HTTP_API). Everything provider-specific is data here, so a new gateway is a
 * configuration, not code. Secrets may be given sealed (`tokenEnc`, `valueEnc`, `secretEnc`, encrypted
 * with the PII key like other stored secrets) or, from the environment, in clear.
 */
const secret = (name: string) =>
  z
    .object({ [name]: z.string().min(1).optional(), [`${name}Enc`]: z.string().min(1).optional() })
    .refine((v) => Boolean(v[name]) !== Boolean(v[`${name}Enc`]), {
      message: `give exactly one of ${name} or ${name}Enc`,
    });

const AuthSchema = z.union([
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("bearer") }).and(secret("token")),
  z.object({ type: z.literal("header"), name: z.string().min(1) }).and(secret("value")),
  /** Our own webhook scheme: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
  z
    .object({ type: z.literal("hmac"), header: z.string().min(1).default("X-Signature") })
    .and(secret("secret")),
]);

const Code = z.union([z.string(), z.number()]);

export const SmsApiSchema = z.object({
  url: z.string().url(),
  method: z.enum(["POST", "PUT"]).default("POST"),
  /** Body encoding: JSON or application/x-www-form-urlencoded. */
  format: z.enum(["json", "form"]).default("json"),
  auth: AuthSchema.default({ type: "none" }),
  /** Request field names for the phone number, the text and our message id (client reference). */
  fields: z
    .object({
      to: z.string().min(1).default("to"),
      text: z.string().min(1).default("text"),
      clientReference: z.string().min(1).optional(),
    })
    .default({ to: "to", text: "text" }),
  /** `e164` +8613800138000, `national` 13800138000, `digits` 8613800138000. */
  phoneFormat: z.enum(["e164", "national", "digits"]).default("e164"),
  /** Constant fields the provider wants (sign name, template code, account id). */
  extra: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  response: z.object({
    /** Dot path to the provider's message id in a JSON answer, e.g. `data.msgId`. */
    messageIdPath: z.string().min(1),
    /** Dot path to a business result code, for providers that answer 200 with an error inside. */
    codePath: z.string().min(1).optional(),
    successCodes: z.array(Code).default([]),
    /** Business codes that mean "try again later" (throttled, busy); any other non-success code is permanent. */
    transientCodes: z.array(Code).default([]),
  }),
  /** HTTP statuses retried later. Credentials refused (401/403) are retried: fixing them must not lose SMS. */
  transientStatuses: z.array(z.number().int()).default([401, 403, 408, 425, 429, 500, 502, 503]),
  /** HTTP statuses after which the provider may or may not have accepted the SMS. */
  unknownStatuses: z.array(z.number().int()).default([504]),
  timeoutMs: z.number().int().min(50).max(60_000).default(10_000),
  /** The provider answers a repeated client reference with the original message instead of sending again. */
  dedupesByClientReference: z.boolean().default(false),
  /** Query by client reference, to reconcile an unknown outcome before re-sending. */
  lookup: z
    .object({
      /** `{clientReference}` is replaced by our message id. */
      url: z.string().url(),
      messageIdPath: z.string().min(1),
      notFoundStatuses: z.array(z.number().int()).default([404]),
    })
    .optional(),
  /** The provider's own rate for this API, when it is lower than the partner's partsPerSecond. */
  partsPerSecond: z.number().positive().optional(),
  /** The provider's per-number daily cap for this API; defaults to SMS_PER_NUMBER_DAILY_CAP. */
  perNumberDailyCap: z.number().int().positive().optional(),
});

export type SmsApi = z.infer<typeof SmsApiSchema>;
export type SmsApiInput = z.input<typeof SmsApiSchema>;
