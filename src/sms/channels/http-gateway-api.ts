import * as z from "zod/mini";
import "../../zod-mini";

/**
 * How to call one SMS HTTP API: a partner's own gateway (partners.smsApi) or a domestic provider used as
 * the police channel (SMS_HTTP_API). Everything provider-specific is data here, so a new gateway is a
 * configuration, not code. Secrets may be given sealed (`tokenEnc`, `valueEnc`, `secretEnc`, encrypted
 * with the PII key like other stored secrets) or, from the environment, in clear.
 */
const text = () => z.string().check(z.minLength(1));

const secret = (name: string) =>
  z.object({ [name]: z.optional(text()), [`${name}Enc`]: z.optional(text()) }).check(
    z.refine((v) => Boolean(v[name]) !== Boolean(v[`${name}Enc`]), {
      message: `give exactly one of ${name} or ${name}Enc`,
    }),
  );

const AuthSchema = z.union([
  z.object({ type: z.literal("none") }),
  z.intersection(z.object({ type: z.literal("bearer") }), secret("token")),
  z.intersection(z.object({ type: z.literal("header"), name: text() }), secret("value")),
  /** Our own webhook scheme: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
  z.intersection(
    z.object({ type: z.literal("hmac"), header: z._default(text(), "X-Signature") }),
    secret("secret"),
  ),
]);

const Code = z.union([z.string(), z.number()]);

const statuses = () => z.array(z.number().check(z.int()));

export const SmsApiSchema = z.object({
  url: z.url(),
  method: z._default(z.enum(["POST", "PUT"]), "POST"),
  /** Body encoding: JSON or application/x-www-form-urlencoded. */
  format: z._default(z.enum(["json", "form"]), "json"),
  auth: z._default(AuthSchema, { type: "none" }),
  /** Request field names for the phone number, the text and our message id (client reference). */
  fields: z._default(
    z.object({
      to: z._default(text(), "to"),
      text: z._default(text(), "text"),
      clientReference: z.optional(text()),
    }),
    { to: "to", text: "text" },
  ),
  /** `e164` +8613800138000, `national` 13800138000, `digits` 8613800138000. */
  phoneFormat: z._default(z.enum(["e164", "national", "digits"]), "e164"),
  /** Constant fields the provider wants (sign name, template code, account id). */
  extra: z._default(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), {}),
  response: z.object({
    /** Dot path to the provider's message id in a JSON answer, e.g. `data.msgId`. */
    messageIdPath: text(),
    /** Dot path to a business result code, for providers that answer 200 with an error inside. */
    codePath: z.optional(text()),
    successCodes: z._default(z.array(Code), []),
    /** Business codes that mean "try again later" (throttled, busy); any other non-success code is permanent. */
    transientCodes: z._default(z.array(Code), []),
  }),
  /** HTTP statuses retried later. Credentials refused (401/403) are retried: fixing them must not lose SMS. */
  transientStatuses: z._default(statuses(), [401, 403, 408, 425, 429, 500, 502, 503]),
  /** HTTP statuses after which the provider may or may not have accepted the SMS. */
  unknownStatuses: z._default(statuses(), [504]),
  timeoutMs: z._default(z.number().check(z.int(), z.minimum(50), z.maximum(60_000)), 10_000),
  /** The provider answers a repeated client reference with the original message instead of sending again. */
  dedupesByClientReference: z._default(z.boolean(), false),
  /** Query by client reference, to reconcile an unknown outcome before re-sending. */
  lookup: z.optional(
    z.object({
      /** `{clientReference}` is replaced by our message id. */
      url: z.url(),
      messageIdPath: text(),
      notFoundStatuses: z._default(statuses(), [404]),
    }),
  ),
  /** The provider's own rate for this API, when it is lower than the partner's partsPerSecond. */
  partsPerSecond: z.optional(z.number().check(z.positive())),
  /** The provider's per-number daily cap for this API; defaults to SMS_PER_NUMBER_DAILY_CAP. */
  perNumberDailyCap: z.optional(z.number().check(z.int(), z.positive())),
});

export type SmsApi = z.infer<typeof SmsApiSchema>;
export type SmsApiInput = z.input<typeof SmsApiSchema>;
