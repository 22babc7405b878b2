import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError, type FieldError } from "../errors";
import { isStorableText, unstorableMessage, unstorableText } from "../text";
import { endpointOf } from "./endpoint";
import type { AppEnv } from "./env";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * What a route's body may be. Every route gets a size limit, so a client cannot make the server read a 50 MB
 * body it will never use: the default fits every single-resource form and JSON body (the largest, a campaign,
 * is a few KiB even with every character \u-escaped); batches get more, credentials less.
 *
 * `itemsAt` names the array of a batch whose items are judged one by one (src/alerts/intake.ts,
 * src/parcels/intake.ts): unstorable text inside one item rejects that item, not the whole batch.
 */
interface BodyPolicy {
  maxBytes: number;
  itemsAt?: string;
}

const DEFAULT_POLICY: BodyPolicy = { maxBytes: 64 * KiB };
const CREDENTIALS: BodyPolicy = { maxBytes: 4 * KiB };
const BATCH: BodyPolicy = { maxBytes: MiB };

/** Keyed by "METHOD /route/:pattern" as registered. */
const POLICIES: Record<string, BodyPolicy> = {
  "POST /v1/feeds/:sourceId/warnings": { ...BATCH, itemsAt: "warnings" },
  "POST /v1/partners/:partnerId/parcel-events": { ...BATCH, itemsAt: "events" },
  "POST /v1/partners/:partnerId/delivery-receipts": BATCH,
  "POST /v1/sms/inbound": BATCH,
  "POST /v1/auth/login": CREDENTIALS,
  "POST /v1/auth/password": CREDENTIALS,
  "POST /console/login": CREDENTIALS,
  "POST /console/password": CREDENTIALS,
};

export function bodyPolicyOf(c: Context): BodyPolicy {
  const endpoint = endpointOf(c);
  return (endpoint && POLICIES[`${endpoint.method} ${endpoint.path}`]) ?? DEFAULT_POLICY;
}

/**
 * No schema needs more than a handful of levels; 32 leaves room for feeds' own extra fields. Checked on the
 * raw text before anything walks the parsed value, so depth never reaches a recursive function.
 */
export const MAX_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;
const FORM_TYPE = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

export interface ParsedJsonBody {
  raw: string;
  value: unknown;
}

const parsedBodies = new WeakMap<Context, ParsedJsonBody>();

/** The body the guard parsed and checked for this request, if it was JSON. */
export function parsedJsonBody(c: Context): ParsedJsonBody | undefined {
  return parsedBodies.get(c);
}

/**
 * The one door every request body comes through, before authentication and validation: a size limit that
 * fits the route (413), JSON that parses (400 MALFORMED_JSON) and is at most MAX_JSON_DEPTH deep, and text
 * PostgreSQL can store, named by field (400), in JSON and form bodies alike. Route validators and handlers
 * then see only bodies that passed.
 */
export const bodyGuard = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.req.raw.body) return next();
    const policy = bodyPolicyOf(c);
    // hono's limiter trusts Content-Length when there is one and counts a streamed body as it arrives.
    return limiter(policy)(c, async () => {
      const type = c.req.header("content-type") ?? "";
      if (JSON_TYPE.test(type)) parsedBodies.set(c, checkJson(await c.req.text(), policy));
      else if (FORM_TYPE.test(type)) await checkForm(c);
      await next();
    });
  });

const limiters = new Map<number, MiddlewareHandler>();
function limiter(policy: BodyPolicy): MiddlewareHandler {
  let limit = limiters.get(policy.maxBytes);
  if (!limit) {
    limit = bodyLimit({
      maxSize: policy.maxBytes,
      onError: () => {
        throw tooLarge(policy);
      },
    });
    limiters.set(policy.maxBytes, limit);
  }
  return limit;
}

function tooLarge(policy: BodyPolicy): AppError {
  const limit = policy.maxBytes >= MiB ? `${policy.maxBytes / MiB} MiB` : `${policy.maxBytes / KiB} KiB`;
  return new AppError("PAYLOAD_TOO_LARGE", `the body is over ${limit}, the most this route accepts`);
}

export function checkJson(raw: string, policy: BodyPolicy = DEFAULT_POLICY): ParsedJsonBody {
  if (exceedsDepth(raw, MAX_JSON_DEPTH)) {
    throw new AppError(
      "VALIDATION_FAILED",
      `the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`,
      [{ path: "(body)", message: `nested more than ${MAX_JSON_DEPTH} levels deep` }],
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError("MALFORMED_JSON", "request body is not valid JSON");
  }
  // Items of a batch are judged one by one by their use case; everything else must be storable as a whole.
  const items = policy.itemsAt ? new RegExp(`^${policy.itemsAt}\\.\\d+(\\.|$)`) : undefined;
  const errors = unstorableText(value).filter((e) => !items?.test(e.path));
  if (errors.length > 0) throw unstorable(errors);
  return { raw, value };
}

async function checkForm(c: Context): Promise<void> {
  let form: Record<string, unknown>;
  try {
    form = await c.req.parseBody({ all: true });
  } catch {
    throw new AppError("MALFORMED_JSON", "the form body could not be read");
  }
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === "string" && !isStorableText(v))
        errors.push({ path: name, message: unstorableMessage(v) });
    }
    if (!isStorableText(name))
      errors.push({ path: "(body)", message: `a field name ${unstorableMessage(name)}` });
  }
  if (errors.length > 0) throw unstorable(errors);
}

function unstorable(errors: FieldError[]): AppError {
  return new AppError("VALIDATION_FAILED", "the request contains text that cannot be stored", errors);
}

/** Whether JSON text opens more than `max` arrays/objects at once; strings are skipped, escapes included. */
export function exceedsDepth(raw: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}
