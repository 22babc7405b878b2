import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import type { Deps } from "../../src/deps";
import { createApp } from "../../src/http/app";
import { createLog } from "../../src/log";
import { signPayload } from "../../src/signature";
import { aCampaign } from "../parcels/support";
import { tokenFor } from "../support/access";
import { givenPushedAlert } from "../support/alerts";
import { createTestContext, type TestContext } from "../support/context";
import {
  changedRows,
  exampleOf,
  fieldPaths,
  HOSTILE_BODIES,
  HOSTILE_FIELDS,
  HOSTILE_PARAMETERS,
  JUNK_CURSORS,
  kindOf,
  type RowCounts,
  rowCounter,
  type SchemaNode,
  withField,
} from "../support/hostile";
import { aPartner } from "../support/partners";

/**
 * Issue 10's walk: every operation in /openapi.json gets hostile values in each parameter and body field, as
 * each kind of caller and as nobody. Whatever comes back: never a 5xx; every error is problem+json; a
 * validation error names the field; and a refused request leaves every table's row count as it was.
 *
 * One test context (a fresh database) per group of operations, shared by all their cases: cheap enough for
 * every CI run, and "nothing written" stays checkable because the owner's unsafe requests are compared with
 * the row counts before each of them, and every other caller's (all refused) with those before their run.
 */

interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string }[];
  body?: SchemaNode;
}

// The document does not touch the database: build it from an app with no dependencies behind it.
const document = (await (
  await createApp({
    config: loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }),
    log: createLog("silent"),
  } as unknown as Deps).request("/openapi.json")
).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };

const operations: Operation[] = Object.entries(document.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => {
    const content = (op.requestBody as { content?: Record<string, { schema: SchemaNode }> } | undefined)
      ?.content;
    return {
      method: method.toUpperCase(),
      path,
      parameters: ((op.parameters ?? []) as { in: string; name: string }[]).filter((p) => p.in !== "header"),
      body: content?.["application/json"]?.schema,
    };
  }),
);

type Caller = "nobody" | "officer" | "supervisor" | "admin" | "partner" | "feed";

/** Who owns an operation: the caller who gets past its door, and so gets every hostile value. */
function ownerOf(op: Operation): Caller {
  if (op.path.startsWith("/v1/feeds/")) return "feed";
  if (
    op.path.startsWith("/v1/partners/{partnerId}") ||
    op.path.startsWith("/v1/messages/") ||
    op.path === "/v1/sms/inbound"
  ) {
    return "partner";
  }
  return "admin";
}

interface World {
  ctx: TestContext;
  partner: { id: string; apiKey: string };
  alertId: string;
  /** Every table's row count, to check that a refused request wrote nothing. */
  countRows: () => Promise<RowCounts>;
}

async function worldFor(ops: Operation[]): Promise<World> {
  const ctx = await createTestContext();
  const partner = await aPartner(ctx, { channel: "partner_http" });
  // A real campaign: an empty PATCH of one that exists used to reach the update and fail there.
  await aCampaign(ctx, { id: "cmp_walk" });
  const alertId = ops.some((op) => op.path.startsWith("/v1/alerts/{id}"))
    ? await givenPushedAlert(ctx)
    : "alr_nonexistent";
  // Logged in before anything is counted: a login is a write, and not one the walk is about.
  for (const username of ["miaogong", "supervisor", "admin"]) await tokenFor(ctx, username);
  return { ctx, partner, alertId, countRows: rowCounter(ctx.deps.db) };
}

/** A well-formed id for a path parameter: real where reading it is harmless, otherwise one that is not there. */
function pathValue(world: World, op: Operation, name: string): string {
  if (name === "sourceId") return world.ctx.fixture.source.id;
  if (name === "partnerId") return world.partner.id;
  if (name === "riskLevel") return "high";
  if (op.path.startsWith("/v1/alerts/")) return world.alertId;
  if (op.path.startsWith("/v1/posts/")) return world.ctx.fixture.ids.ergong;
  if (op.path.startsWith("/v1/campaigns/") && name === "id") return "cmp_walk";
  const prefixes: Record<string, string> = {
    officers: "off_",
    partners: "par_",
    "feed-sources": "src_",
    campaigns: "cmp_",
    messages: "msg_",
    "dead-letters": "fbk_",
    "message-callbacks": "par_",
    "opt-outs": "opt_",
    "jurisdiction-rules": "rul_",
  };
  if (name === "templateId") return "tpl_nonexistent";
  if (name === "keyId") return "key_nonexistent";
  if (name === "waybillNo") return "SF1234567890";
  const resource = op.path.split("/").find((part) => prefixes[part]);
  return `${resource ? prefixes[resource] : ""}nonexistent`;
}

interface Request {
  label: string;
  query?: Record<string, string>;
  pathOverride?: Record<string, string>;
  body?: { type?: string; raw?: string };
  /** The field or parameter a validation error must name. */
  names?: string;
  /** For batch routes: the item-relative field the first item's rejection must name. */
  itemField?: string;
}

function cases(op: Operation): Request[] {
  const out: Request[] = [];
  for (const p of op.parameters) {
    const values = [...HOSTILE_PARAMETERS];
    if (/cursor|after/i.test(p.name)) {
      values.push(...JUNK_CURSORS.map((raw) => ({ label: "junk cursor", raw, named: true })));
    }
    for (const v of values) {
      const names = v.named ? p.name : undefined;
      if (p.in === "query") out.push({ label: `${p.name}=${v.label}`, query: { [p.name]: v.raw }, names });
      if (p.in === "path" && v.raw !== "") {
        out.push({ label: `{${p.name}}=${v.label}`, pathOverride: { [p.name]: v.raw }, names });
      }
    }
    if (p.in === "query")
      out.push({ label: `${p.name} twice`, query: { [p.name]: "a", [`${p.name}\u0001`]: "b" } });
  }
  if (op.method !== "GET") for (const body of HOSTILE_BODIES) out.push({ label: body.label, body });
  if (op.body) {
    const valid = exampleOf(op.body);
    out.push({ label: "a plausible body", body: json(valid) });
    const batch = op.body.properties?.warnings
      ? "warnings"
      : op.body.properties?.events
        ? "events"
        : undefined;
    for (const { path, node } of fieldPaths(op.body)) {
      const own = kindOf(node);
      const kind = own === "date" ? ["string", "date", "scalar"] : own ? [own, "scalar"] : [];
      for (const v of HOSTILE_FIELDS.filter((f) => !f.for || kind.includes(f.for))) {
        const dotted = path.join(".");
        const perItem = batch && path[0] === batch && path.length > 2;
        out.push({
          label: `${dotted}=${v.label}`,
          body: json(withField(valid, path, v.value)),
          names: v.named && !perItem ? dotted : undefined,
          itemField: v.named && perItem ? path.slice(2).join(".") : undefined,
        });
      }
    }
  }
  return out;
}

const json = (value: unknown) => ({ type: "application/json", raw: JSON.stringify(value) });

async function send(world: World, op: Operation, caller: Caller, req: Request): Promise<Response> {
  let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    req.pathOverride?.[name] !== undefined
      ? (req.pathOverride[name] as string)
      : encodeURIComponent(pathValue(world, op, name)),
  );
  const query = Object.entries(req.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k.replace("\u0001", ""))}=${v}`)
    .join("&");
  if (query) path += `?${query}`;
  const headers: Record<string, string> = {};
  if (req.body?.type) headers["content-type"] = req.body.type;
  const raw = req.body?.raw;
  if (caller === "partner") {
    headers.authorization = `Bearer ${world.partner.apiKey}`;
    headers["x-partner-id"] = world.partner.id;
  } else if (caller === "feed") {
    const at = Math.floor(Date.now() / 1000);
    headers["x-signature"] = signPayload(world.ctx.fixture.source.secret, raw ?? "", at);
  } else if (caller !== "nobody") {
    const username = caller === "officer" ? "miaogong" : caller;
    headers.authorization = `Bearer ${await tokenFor(world.ctx, username)}`;
  }
  return world.ctx.app.request(path, { method: op.method, headers, body: raw });
}

/**
 * Operations in groups that share one database: a fresh context per operation would cost more than the walk.
 * Logging out ends the session the other cases use, so it goes last in its group.
 */
const GROUPS: Record<string, string[]> = {
  "feeds and feedback": ["feeds", "feedback"],
  "officers, audit and sessions": ["officers", "audit", "auth"],
  alerts: ["alerts"],
  "posts, rules and feed sources": ["posts", "jurisdiction-rules", "feed-sources", "escalation-policies"],
  partners: ["partners"],
  "campaigns and reports": ["campaigns", "campaign-templates", "campaign-signatures", "reports"],
  "messages and SMS": ["messages", "sms", "dev", "message-callbacks"],
};
const groupOf = (op: Operation) => op.path.split("/")[2] ?? "";
const last = (op: Operation) => (op.path === "/v1/auth/logout" ? 1 : 0);

describe("hostile input on every operation of /openapi.json", () => {
  it("covers every operation", () => {
    const grouped = Object.values(GROUPS).flat();
    expect(operations.filter((op) => !grouped.includes(groupOf(op))).map((op) => op.path)).toEqual([]);
    expect(operations.length).toBeGreaterThan(50);
  });

  it.each(Object.entries(GROUPS))(
    "%s",
    async (_name, resources) => {
      const ops = operations
        .filter((op) => resources.includes(groupOf(op)))
        .sort((a, b) => last(a) - last(b));
      const world = await worldFor(ops);
      const failures: string[] = [];
      for (const op of ops) failures.push(...(await walk(world, op)));
      expect(failures).toEqual([]);
    },
    300_000,
  );
});

/**
 * One operation: every hostile case as nobody and as its owner, a sample as every other caller. Row counts
 * are compared around each unsafe request of the owner (who gets past the door, so could write), and around
 * each other caller's whole run (all of it must be refused).
 */
async function walk(world: World, op: Operation): Promise<string[]> {
  const owner = ownerOf(op);
  const all = cases(op);
  const failures: string[] = [];
  const unsafe = op.method !== "GET";
  // The owner's counts before a request: those after the previous one, unless that one was accepted.
  let known: Record<string, number> | undefined;
  const run = async (caller: Caller, req: Request): Promise<boolean> => {
    const before = unsafe && caller === owner ? (known ?? (await world.countRows())) : undefined;
    known = undefined;
    const res = await send(world, op, caller, req);
    const label = `${caller}: ${op.method} ${op.path} ${req.label} → ${res.status}`;
    const text = await res.text();
    const refused = res.status >= 400;
    if (res.status >= 500) failures.push(`${label} ${text.slice(0, 300)}`);
    else if (refused) failures.push(...problemFailures(label, res, text, req));
    else if (req.itemField && caller === owner) failures.push(...itemFailures(label, text, req.itemField));
    if (before && refused) {
      const after = await world.countRows();
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        failures.push(`${label}: refused, yet rows changed ${changedRows(before, after)}`);
      }
      known = after;
    }
    return refused;
  };
  const sample = all.filter((_, i) => i % 7 === 0);
  for (const caller of ["nobody", ...CALLERS.filter((c) => c !== owner && c !== "nobody")] as Caller[]) {
    const before = unsafe ? await world.countRows() : undefined;
    let allRefused = true;
    for (const req of caller === "nobody" ? all : sample) allRefused = (await run(caller, req)) && allRefused;
    if (before && allRefused) {
      const after = await world.countRows();
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        failures.push(
          `${caller}: ${op.method} ${op.path} all refused, yet rows changed ${changedRows(before, after)}`,
        );
      }
    }
  }
  for (const req of all) await run(owner, req);
  return failures;
}

const CALLERS: Caller[] = ["nobody", "officer", "supervisor", "admin", "partner", "feed"];

function problemFailures(label: string, res: Response, text: string, req: Request): string[] {
  if (!res.headers.get("content-type")?.includes("application/problem+json"))
    return [`${label}: not problem+json`];
  const problem = JSON.parse(text) as { code: string; errors?: { path: string }[] };
  if (problem.code !== "VALIDATION_FAILED") return [];
  const paths = (problem.errors ?? []).map((e) => e.path);
  if (paths.length === 0) return [`${label}: a validation error naming no field`];
  if (req.names && !paths.some((p) => p === req.names || p.startsWith(`${req.names}.`))) {
    return [`${label}: names ${paths.join(", ")}, not ${req.names}`];
  }
  return [];
}

/** A batch answers 2xx with one result per item: the hostile item must be the rejected one, naming its field. */
function itemFailures(label: string, text: string, field: string): string[] {
  const first = (JSON.parse(text) as { results: { status: string; errors?: { path: string }[] }[] })
    .results[0];
  const paths = first?.errors?.map((e) => e.path) ?? [];
  if (first?.status === "rejected" && paths.some((p) => p.startsWith(field))) return [];
  return [`${label}: item ${first?.status} naming ${paths.join(", ")}, not ${field}`];
}
