/**
 * Examples for every operation of the API document, added where a route declared none: a request body and a
 * response for each status, errors included, so the reference at /docs shows what goes over the wire for every
 * call. Made from the schemas themselves (field examples first, then formats, enums and id prefixes), so they
 * cannot drift from what the server validates. `npm run lint:api` fails when an operation lacks one.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  minLength?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  const?: unknown;
};

type Media = { schema?: Schema; example?: unknown; examples?: unknown };
type Operation = {
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
};
type Doc = {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

/** Id prefixes (src/ids.ts) as the schemas' patterns carry them: a well-formed id of the right kind. */
const ID_SUFFIX = "01m8je2rj80ms3yceysncwfr76";
const INSTANT = "2026-11-28T02:00:00.000Z";

/** A readable value for a field by its name, where the schema says only "string". */
const BY_NAME: Record<string, unknown> = {
  waybillNo: "YT0000000001",
  recipientPhone: "138 0013 8000",
  phone: "+86 138 0013 8000",
  to: "138****8000",
  from: "2026-11-22",
  url: "https://courier.example/af-callbacks",
  callbackUrl: "https://platform.example/af-feedback",
  username: "officer.miaogong",
  password: "correct-horse-battery-staple",
  currentPassword: "correct-horse-battery-staple",
  newPassword: "staple-battery-horse-correct",
  reason: "receiver fixed",
  name: "庙工村警务室",
  body: "【昌吉公安】取件提醒：自称快递客服要给您理赔退款的都是诈骗，勿转账！拒收请回复R",
  detail: "the request is not valid",
  kind: "arrived_at_pickup_point",
  pickupPoint: "庙工村驿站",
  day: "2026-11-28",
  timeZone: "Asia/Shanghai",
  nextCursor: "eyJ4Ijo3NDIsImkiOjEwNDJ9",
  cursor: "eyJ4Ijo3NDIsImkiOjEwNDJ9",
};

export function exampleFor(schema: Schema | undefined, doc: Doc, name = "", depth = 0): unknown {
  if (!schema || depth > 8) return null;
  if (schema.$ref) {
    const key = schema.$ref.split("/").pop() as string;
    return exampleFor(doc.components?.schemas?.[key], doc, name, depth + 1);
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    const nonNull = variants.find((v) => v.type !== "null") ?? variants[0];
    return exampleFor(nonNull, doc, name, depth + 1);
  }
  if (schema.allOf) {
    return Object.assign({}, ...schema.allOf.map((s) => exampleFor(s, doc, name, depth + 1) as object));
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(schema.properties ?? {})) {
        out[key] = exampleFor(value, doc, key, depth + 1);
      }
      return out;
    }
    case "array":
      return [exampleFor(schema.items, doc, name.replace(/s$/, ""), depth + 1)];
    case "integer":
      return Math.max(schema.minimum ?? 1, 1);
    case "number":
      return Math.max(schema.minimum ?? 1, 1);
    case "boolean":
      // A "test" flag is false on live traffic, the usual case.
      return name !== "test";
    case "null":
      return null;
    default:
      return stringExample(schema, name);
  }
}

function stringExample(schema: Schema, name: string): string {
  const prefix = schema.pattern?.match(/^\^([a-z]{3})_$/)?.[1];
  if (prefix) return `${prefix}_${ID_SUFFIX}`;
  // Administrative division codes (area codes, campaign area prefixes).
  if (schema.pattern?.startsWith("^\\d")) return "652301";
  if (schema.format === "date-time" || /At$/.test(name)) return INSTANT;
  if (schema.format === "date") return "2026-11-28";
  if (schema.format === "uri" || schema.format === "url") return "https://courier.example/af-callbacks";
  const named = BY_NAME[name];
  const text =
    typeof named === "string" ? named : /Id$/.test(name) || name === "id" ? `id_${ID_SUFFIX}` : "string";
  return text.padEnd(schema.minLength ?? 0, "x");
}

/** The codes of src/errors.ts by status, as each error response's example names them. */
const ERROR_CODES: Record<string, string> = {
  "400": "VALIDATION_FAILED",
  "401": "UNAUTHENTICATED",
  "403": "FORBIDDEN",
  "404": "NOT_FOUND",
  "409": "CONFLICT",
  "410": "PERSONAL_DATA_PURGED",
  "413": "PAYLOAD_TOO_LARGE",
  "415": "UNSUPPORTED_MEDIA_TYPE",
  "422": "IDEMPOTENCY_KEY_REUSED",
  "429": "RATE_LIMITED",
  "503": "UNAVAILABLE",
};

/** A problem+json answer as the server writes it (src/http/problem.ts), with the route's own words. */
export function problemExample(status: string, description: string | undefined, fieldHint?: string) {
  const code = ERROR_CODES[status] ?? "HTTP_ERROR";
  return {
    type: `https://antifraud-alerts.local/problems/${code.toLowerCase().replaceAll("_", "-")}`,
    title: code,
    status: Number(status),
    code,
    detail: description ?? code,
    ...(status === "400"
      ? { errors: [{ path: fieldHint ?? "(body)", message: description ?? "not valid" }] }
      : {}),
    requestId: `req_${ID_SUFFIX}`,
  };
}

/** The first field of a request body, for the 400 example's `errors[0].path`. */
function firstField(operation: Operation, doc: Doc): string | undefined {
  const schema = operation.requestBody?.content?.["application/json"]?.schema;
  const resolved = schema?.$ref ? doc.components?.schemas?.[schema.$ref.split("/").pop() as string] : schema;
  const keys = Object.keys(resolved?.properties ?? {});
  return keys[0];
}

/** Fills in every missing example of the document, in place. */
export function withExamples<D>(document: D): D {
  const doc = document as Doc;
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        if (media.example === undefined && media.examples === undefined)
          media.example = exampleFor(media.schema, doc);
      }
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.example !== undefined || media.examples !== undefined) continue;
          if (type === "application/problem+json") {
            media.example = problemExample(status, response.description, firstField(operation, doc));
          } else if (type === "text/csv") {
            media.example =
              "\uFEFFday,partnerId,eventsReceived\r\n2026-11-28,par_01m8je2rj80ms3yceysncwfr76,12\r\n";
          } else {
            media.example = exampleFor(media.schema, doc);
          }
        }
      }
    }
  }
  return document;
}
