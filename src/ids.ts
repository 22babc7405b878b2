import { type SQL, sql } from "drizzle-orm";
import { pooledRandomBytes } from "./random-bytes";

/** Every id says what it refers to, so a log line or a URL can be read without a lookup. */
export const ID_PREFIXES = {
  alert: "alr",
  warning: "wrn",
  station: "stn",
  post: "pst",
  rule: "rul",
  officer: "off",
  feedSource: "src",
  partner: "par",
  message: "msg",
  feedback: "fbk",
  outbox: "obx",
  request: "req",
  contactAttempt: "att",
  parcelEvent: "pev",
  campaign: "cmp",
  template: "tpl",
  worker: "wkr",
  rosterShift: "rsh",
  rosterOverride: "rov",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * Time-ordered ids (48-bit milliseconds + 80 random bits, base32): they sort by creation time,
 * which keeps B-tree inserts at the right edge of the index and makes cursors cheap.
 */
export function newId(kind: IdKind, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = pooledRandomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET[(random[i] as number) % 32];
  return `${ID_PREFIXES[kind]}_${time}${rand}`;
}

/**
 * What an id of a kind looks like to a validator or the API document: its prefix. Only the prefix, on
 * purpose: an id with the right prefix that names nothing is a 404, as it always was, not a 400.
 */
export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_`);
}

/**
 * An id of `kind` made by the database, for rows a single statement creates (one per row it finds, so the
 * caller cannot make them in advance): the same prefix and time part as newId, then 16 random characters
 * (64 bits, hexadecimal digits, which are all in the base32 alphabet above) from gen_random_uuid.
 */
export function newIdSql(kind: IdKind, now = Date.now()): SQL {
  const head = newId(kind, now).slice(0, ID_PREFIXES[kind].length + 11);
  return sql`(${head}::text || substr(md5(gen_random_uuid()::text), 1, 16))`;
}
