import pino, { type Logger } from "pino";

export type Log = Logger;

/**
 * Full phone numbers never reach a log line: known personal fields are redacted by path, and any
 * string that looks like a mainland mobile number is masked by the serializer as a second line of defence.
 */
const PHONE_PATTERN = /(\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})/g;

const WHOLE_PHONE_NUMBER = /^(86)?1[3-9]\d{9}$/;

export function scrubPhones(text: string): string {
  return text.replace(PHONE_PATTERN, (_m, _cc, head: string, tail: string) => `${head}****${tail}`);
}

export function createLog(level: string, destination?: pino.DestinationStream): Log {
  const log = pino(
    {
      level,
      redact: {
        paths: [
          "phone",
          "*.phone",
          "to",
          "*.to",
          "password",
          "*.password",
          "secret",
          "*.secret",
          "apiKey",
          "token",
        ],
        censor: "[redacted]",
      },
      // Database errors carry the failing query and its parameters (sealed personal fields among them):
      // keep what helps a reader, drop the rest.
      serializers: { err: serializeError },
      // pino runs this formatter before serializers, so the record is scrubbed by walking it: a JSON text
      // round trip turned every error into `{}` and threw on a number shaped like a phone.
      formatters: {
        log: (object) => scrubValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // The first argument may be the merge object, which the `log` formatter scrubs; pino must
          // still see an Error there. Without a message pino would take the error's, unscrubbed and with
          // a failed query's parameters, so give it the serialized one.
          const [first] = args;
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          const scrubbed = args.map((a, i) => (i === 0 && typeof a === "object" ? a : scrubValue(a)));
          if (args.length === 1 && error instanceof Error) {
            scrubbed.push(scrubValue((serializeError(error) as { message?: string }).message ?? ""));
          }
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  // pino formats a child's bindings once, without the `log` formatter (and resets `formatters.bindings`
  // for children), so scrub them on the way in. Children inherit this `child` through their prototype.
  const pinoChild = log.child;
  log.child = function child(this: Log, bindings, options) {
    return pinoChild.call(this, scrubValue(bindings) as pino.Bindings, options);
  } as Log["child"];
  return log;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return {
    type: error.name,
    message: error.message.split("\nparams:")[0]?.slice(0, 500),
    code: (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code,
    cause: cause ? `${cause.name}: ${cause.message}` : undefined,
    // The stack repeats the message, parameters included.
    stack: error.stack?.replace(/\nparams:[\s\S]*?(?=\n\s+at |$)/, ""),
  };
}

/** Masks phone numbers in every string, key and phone-shaped number of a value; errors are serialized first. */
function scrubValue(value: unknown, path: object[] = []): unknown {
  if (typeof value === "string") return scrubPhones(value);
  if (typeof value === "number" || typeof value === "bigint") {
    // Only a whole phone-shaped number: a millisecond timestamp also holds 11 digits starting 1[3-9].
    const text = String(value);
    return WHOLE_PHONE_NUMBER.test(text) ? scrubPhones(text) : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (path.includes(value)) return "[Circular]";
  const inner = [...path, value];
  if (value instanceof Error) return scrubValue(serializeError(value), inner);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, inner));
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") return scrubValue(toJSON.call(value), inner);
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [scrubPhones(key), scrubValue(v, inner)]),
  );
}
