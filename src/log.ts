import pino, { type Logger } from "pino";

export type Log = Logger;

/**
 * Full phone numbers never reach a log line: known personal fields are redacted by path, and any
 * string that looks like a mainland mobile number is masked by the serializer as a second line of defence.
 */
const PHONE_PATTERN = /(\+?86[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})/g;

export function scrubPhones(text: string): string {
  return text.replace(PHONE_PATTERN, (_m, _cc, head: string, tail: string) => `${head}****${tail}`);
}

export function createLog(level: string, destination?: pino.DestinationStream): Log {
  return pino(
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
      formatters: {
        log(object) {
          return JSON.parse(scrubPhones(JSON.stringify(object)));
        },
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === "string" ? scrubPhones(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return {
    type: error.name,
    message: error.message.split("\nparams:")[0]?.slice(0, 500),
    code: (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code,
    cause: cause ? `${cause.name}: ${cause.message}` : undefined,
    stack: error.stack,
  };
}
