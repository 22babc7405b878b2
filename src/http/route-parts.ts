import { z } from "@hono/zod-openapi";
import { ID_PREFIXES, type IdKind, idPattern } from "../ids";
import { ProblemSchema } from "./schemas/problem";

/**
 * The parts every route declaration (createRoute / registerPath) is built from, written once: ids, bodies,
 * JSON answers, problem answers, who may call. The document /openapi.json is assembled in src/http/openapi.ts.
 */

/** "feedSource" → "a feed source id starts with src_": the message a wrong id is refused with. */
function idMessage(kind: IdKind): string {
  const noun = kind.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun} id starts with ${ID_PREFIXES[kind]}_`;
}

/** An id of one kind, as the API takes and gives it: its prefix is part of its schema. */
export const idSchema = (kind: IdKind) => z.string().regex(idPattern(kind), idMessage(kind));

/** The `{id}` path parameter of a resource of one kind. */
export const idParam = (kind: IdKind) => z.object({ id: idSchema(kind) });

/** An instant as the API gives it: ISO 8601 in UTC (2026-11-28T02:00:00.000Z). */
export const timestamp = z.string().openapi({ format: "date-time" });

/** A JSON request body; `required: false` for actions whose body is optional. */
export const jsonBody = <T extends z.ZodTypeAny>(schema: T, { required = true } = {}) => ({
  required,
  content: { "application/json": { schema } },
});

/** A JSON response entry for createRoute. */
export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 503;
type ProblemResponse = ReturnType<typeof problemResponse>;

const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/**
 * Error responses, each status with what it means on this route; every one answers the same problem+json
 * (src/http/problem.ts), referenced from the document's components.
 */
export function errorResponses<const D extends { [S in ErrorStatus]?: string }>(
  descriptions: D,
): { [S in keyof D]: ProblemResponse } {
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      problemResponse(description as string),
    ]),
  ) as { [S in keyof D]: ProblemResponse };
}

/**
 * A PATCH body: every field optional, but at least one given. Without it `{}` (or no body at all, which the
 * validator reads as `{}`) reached the update as "nothing to set": a 500 on some resources, a silent no-op on
 * others. Now it is a 400 naming the body.
 */
export const changes = <T extends z.ZodObject>(schema: T) =>
  schema.refine((value) => Object.values(value).some((v) => v !== undefined), {
    message: "give at least one field to change",
  });

/** The groups operations are listed under, in the order a reader meets them. */
export const TAGS = [
  { name: "Auth", description: "Officers' sessions: log in, choose a password, log out" },
  { name: "Feeds", description: "Upstream anti-fraud platforms: warnings in (快接), outcomes back (快反)" },
  { name: "Alerts", description: "Handling an alert: claim, contact, outcome, the subject's number" },
  { name: "Reports", description: "Alert and courier/SMS figures, as JSON or CSV" },
  { name: "Audit", description: "Who did what to which record" },
  { name: "Officers", description: "The station's officers (admins)" },
  { name: "Jurisdiction", description: "Posts and the rules that route alerts to them" },
  {
    name: "Rosters",
    description: "Who is on duty at each post: weekly shifts, overrides, the officer's own switch",
  },
  {
    name: "Escalation",
    description:
      "Who is paged, step by step, while an alert's deadline stays missed (admins edit, per risk level)",
  },
  { name: "Feed sources", description: "The upstream platforms a station receives warnings from (admins)" },
  { name: "Feedback", description: "Callbacks to feed sources that were given up on" },
  { name: "Partners", description: "Logistics partners and their credentials (admins)" },
  { name: "Parcels", description: "Partners' parcel events and the anti-fraud reminders they lead to" },
  {
    name: "Message events",
    description: "Status changes of partners' reminders: pushed to a signed callback, or pulled by cursor",
  },
  { name: "Campaigns", description: "Reminder campaigns and their texts" },
  { name: "SMS", description: "Messages, delivery receipts, replies and opt-outs, quotas" },
  { name: "Development", description: "Local mode only" },
] as const;

export type Tag = (typeof TAGS)[number]["name"];

/** The group an operation is listed under in the document. */
export const tag = (name: Tag): string[] => [name];

type SecurityRequirement = Record<string, string[]>[];

/** Who may call an operation, by the security schemes src/http/openapi.ts registers. */
export const SECURITY = {
  /**
   * Routes for logged-in officers accept either the bearer token (API clients) or the session cookie
   * (console). The cookie only reads: `cookieReadsOnly` drops it from the document's unsafe operations
   * (src/http/auth.ts).
   */
  officer: [{ bearer: [] }, { session: [] }] as SecurityRequirement,
  /** A session token or a partner's API key, as `Authorization: Bearer`: the document's default. */
  bearer: [{ bearer: [] }] as SecurityRequirement,
  /** Upstream platforms: X-Signature over the raw body with the source's secret. */
  signed: [{ signature: [] }] as SecurityRequirement,
  /** Partners' webhooks: their API key, or X-Signature made with their webhook secret. */
  bearerOrSigned: [{ bearer: [] }, { signature: [] }] as SecurityRequirement,
  /** No credentials (logging in). */
  none: [] as SecurityRequirement,
};
