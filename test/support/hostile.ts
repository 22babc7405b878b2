import { sql } from "drizzle-orm";
import { type Executor, queryRows } from "../../src/db/client";

/**
 * Hostile values for the OpenAPI walk (test/http/hostile-input.test.ts): what an attacker or a broken client
 * sends, grouped by where it goes. Query and path values are already percent-encoded, since a lone surrogate
 * can only reach a URL as bytes that are not UTF-8.
 */

/** A JSON schema node as /openapi.json gives it (the parts the walk reads). */
export interface SchemaNode {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  $ref?: string;
}

export const base64url = (text: string) => Buffer.from(text).toString("base64url");

/** Cursors no endpoint returned: junk, impossible dates, unstorable text, out-of-range numbers. */
export const JUNK_CURSORS = [
  "!!!",
  "e30",
  base64url("null"),
  base64url('{"d":"2026-02-30T00:00:00.000000Z","id":"alr_x"}'),
  base64url('{"d":"0000-01-01T00:00:00.000000Z","id":"alr_x"}'),
  base64url('{"d":null,"id":"a\\u0000b"}'),
  base64url('{"d":null,"id":"\\ud800"}'),
  base64url('{"at":"2026-02-30T00:00:00Z","id":"x"}'),
  base64url('{"at":"+275760-09-13T00:00:00.000Z","id":"x"}'),
  base64url('{"at":"Tue","id":"x"}'),
  base64url('{"seq":1e400}'),
  base64url('{"seq":-1,"id":99999999999999999999}'),
  base64url('{"id":"1; drop table alerts"}'),
];

/** Percent-encoded values for any query or path parameter. */
export const HOSTILE_PARAMETERS: { label: string; raw: string; named: boolean }[] = [
  { label: "NUL", raw: "a%00b", named: true },
  { label: "lone surrogate (as bytes)", raw: "%ED%A0%80", named: true },
  { label: "invalid UTF-8", raw: "%FF%FE", named: true },
  { label: "huge", raw: "x".repeat(5000), named: true },
  { label: "empty", raw: "", named: false },
  { label: "not a number", raw: "abc", named: false },
  { label: "negative", raw: "-1", named: false },
  { label: "overflow", raw: "1e999", named: false },
  { label: "impossible date", raw: "2026-02-30", named: false },
  { label: "impossible timestamp", raw: "2026-02-30T25%3A00%3A00Z", named: false },
  { label: "year zero", raw: "0000-01-01T00%3A00%3A00Z", named: false },
  { label: "far future", raw: "%2B275760-09-13T00%3A00%3A00.000Z", named: false },
  { label: "quote", raw: "%27%22%3B--", named: false },
];

/** Values put in place of one body field. `named`: a 400 must name that field. `for`: which fields get it. */
export const HOSTILE_FIELDS: {
  label: string;
  value: unknown;
  named: boolean;
  for?: "string" | "number" | "date" | "scalar";
}[] = [
  { label: "NUL", value: "a\u0000b", named: true },
  { label: "lone high surrogate", value: "a\ud800b", named: true },
  { label: "lone low surrogate", value: "\udc00", named: true, for: "string" },
  { label: "object", value: { nested: true }, named: true, for: "scalar" },
  { label: "array", value: ["x"], named: false, for: "string" },
  { label: "null", value: null, named: false },
  { label: "number", value: 12345, named: false, for: "string" },
  { label: "huge string", value: "x".repeat(10_000), named: false, for: "string" },
  { label: "nested 40 deep", value: nest(40), named: false },
  { label: "huge number", value: 9.9e307, named: false, for: "number" },
  { label: "unsafe integer", value: 2 ** 63, named: false, for: "number" },
  { label: "negative", value: -1, named: false, for: "number" },
  { label: "fraction", value: 0.5, named: false, for: "number" },
  { label: "impossible date", value: "2026-02-30", named: false, for: "date" },
  { label: "impossible timestamp", value: "2026-02-30T00:00:00+08:00", named: false, for: "date" },
  { label: "year zero", value: "0000-01-01T00:00:00Z", named: false, for: "date" },
  { label: "year 9999", value: "9999-12-31T23:59:59Z", named: false, for: "date" },
  { label: "far future", value: "+275760-09-13T00:00:00.000Z", named: false, for: "date" },
];

/** Which HOSTILE_FIELDS a schema node gets: every field the generic ones, then those of its kind. */
export function kindOf(node: SchemaNode | undefined): "string" | "number" | "date" | undefined {
  const type = Array.isArray(node?.type) ? node?.type.find((t) => t !== "null") : node?.type;
  if (node?.format === "date" || node?.format === "date-time") return "date";
  if (type === "string") return "string";
  if (type === "integer" || type === "number") return "number";
  return undefined;
}

/** Whole bodies that are wrong before any field is read. */
export const HOSTILE_BODIES: { label: string; type?: string; raw?: string }[] = [
  { label: "no body at all" },
  { label: "empty JSON body", type: "application/json", raw: "" },
  { label: "JSON null", type: "application/json", raw: "null" },
  { label: "JSON array", type: "application/json", raw: "[]" },
  { label: "JSON string", type: "application/json", raw: '"\\ud800"' },
  { label: "malformed JSON", type: "application/json", raw: '{"a":' },
  { label: "NUL in an unknown field", type: "application/json", raw: '{"zz":"\\u0000"}' },
  { label: "surrogate in a key", type: "application/json", raw: '{"\\ud800":1}' },
  { label: "nested 40 deep", type: "application/json", raw: `{"zz":${JSON.stringify(nest(40))}}` },
  { label: "nested 100,000 deep", type: "application/json", raw: "[".repeat(100_000) + "]".repeat(100_000) },
  { label: "plain text", type: "text/plain", raw: "hello" },
  { label: "form with NUL", type: "application/x-www-form-urlencoded", raw: "name=a%00b" },
];

export function nest(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/**
 * A plausible valid value for a schema node, so that one hostile field at a time reaches as far into the
 * handler as it can. Field names decide what a bare string means (a phone, a password).
 */
export function exampleOf(node: SchemaNode | undefined, name = ""): unknown {
  if (!node) return "x";
  const choice = node.anyOf?.[0] ?? node.oneOf?.[0];
  if (choice) return exampleOf(choice, name);
  if (node.enum) return node.enum[0];
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== "null") : node.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node.properties ?? {})) out[key] = exampleOf(child, key);
      return out;
    }
    case "array":
      return Array.from({ length: Math.max(1, node.minItems ?? 1) }, () => exampleOf(node.items, name));
    case "integer":
    case "number":
      return Math.max(node.minimum ?? 1, Math.min(node.maximum ?? 1, 1));
    case "boolean":
      return true;
    default:
      return stringExample(node, name);
  }
}

function stringExample(node: SchemaNode, name: string): string {
  if (node.format === "date") return "2026-12-10";
  if (node.format === "date-time") return "2026-12-03T10:00:00+08:00";
  if (node.format === "uri" || /url$/i.test(name)) return "https://feed.example.test/callback";
  if (/phone|^from$/i.test(name)) return "+8613800138000";
  if (/password/i.test(name)) return "a-long-enough-password-1";
  if (node.pattern?.includes("\\d{2,12}")) return "652301";
  if (node.pattern?.startsWith("^msg_")) return "msg_nonexistent";
  if (node.pattern?.includes("A-Za-z0-9-")) return "SF1234567890";
  if (/waybill/i.test(name)) return "SF1234567890";
  return "x".repeat(Math.max(node.minLength ?? 1, 4));
}

/** Every field of a body schema as a path ("subject.phone", "warnings.0.area.code"), parents first. */
export function fieldPaths(
  node: SchemaNode | undefined,
  prefix: string[] = [],
  depth = 0,
): { path: string[]; node: SchemaNode }[] {
  if (!node || depth > 4) return [];
  const choice = node.anyOf?.[0] ?? node.oneOf?.[0];
  if (choice) return fieldPaths(choice, prefix, depth);
  const out: { path: string[]; node: SchemaNode }[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    out.push({ path: [...prefix, key], node: child });
    out.push(...fieldPaths(child, [...prefix, key], depth + 1));
  }
  if (node.items && prefix.length > 0) out.push(...fieldPaths(node.items, [...prefix, "0"], depth + 1));
  return out;
}

export function withField(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== "object" || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1] as string] = value;
  return copy;
}

/** Tables a refused request may legitimately write: the login throttle counts failed attempts. */
const MAY_CHANGE_WHEN_REFUSED = new Set(["login_throttle", "login_attempts"]);

export type RowCounts = Record<string, number>;

/** Counts every table's rows in one statement (the table list is read once), to show a refusal wrote nothing. */
export function rowCounter(db: Executor): () => Promise<RowCounts> {
  let tables: string[] | undefined;
  return async () => {
    tables ??= (
      await queryRows<{ table_name: string }>(
        db,
        sql.raw(
          "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
        ),
      )
    )
      .map((r) => r.table_name)
      .filter((t) => !MAY_CHANGE_WHEN_REFUSED.has(t) && !t.startsWith("__"));
    const rows = await queryRows<{ t: string; n: string | number }>(
      db,
      sql.raw(tables.map((t) => `select '${t}' as t, count(*) as n from "${t}"`).join(" union all ")),
    );
    return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
  };
}

/** The tables whose counts differ, as "table before→after". */
export function changedRows(before: RowCounts, after: RowCounts): string {
  return Object.keys(after)
    .filter((t) => before[t] !== after[t])
    .map((t) => `${t} ${before[t]}→${after[t]}`)
    .join(", ");
}
