import { TAGS } from "./route-parts";

/**
 * The reference is read by four kinds of people, each looking for their own calls: an upstream platform's
 * developer (feeds), a courier's (partners), a station's officers and supervisors, its admins. Routes declare
 * the resource they belong to (route-parts.ts TAGS); the document groups them "<audience> · <resource>", in
 * that order, so each reader finds their part of the API together. An operation two audiences call (an SMS's
 * history) is listed under both.
 */
export const AUDIENCES = [
  { name: "Feeds", description: "Upstream anti-fraud platforms: signed warnings in, outcomes back" },
  {
    name: "Partners",
    description: "Logistics partners, with their API key: parcel events, reminders, status",
  },
  { name: "Officers", description: "Officers and supervisors of a station: alerts, reports, dead letters" },
  {
    name: "Admins",
    description: "A station's admins: officers, posts, rules, rosters, sources, partners, campaigns",
  },
  { name: "Development", description: "Local mode only" },
] as const;
type Audience = (typeof AUDIENCES)[number]["name"];

/** Resources admins manage; their reads are open to supervisors too, but it is the admins who come here. */
const ADMIN_RESOURCES = new Set([
  "Officers",
  "Jurisdiction",
  "Rosters",
  "Escalation",
  "Feed sources",
  "Partners",
  "Campaigns",
]);

export function audiencesOf(path: string, resource: string): Audience[] {
  if (resource === "Development") return ["Development"];
  if (path.startsWith("/v1/feeds/")) return ["Feeds"];
  if (path.startsWith("/v1/partners/{partnerId}") || path === "/v1/sms/inbound") return ["Partners"];
  if (path.startsWith("/v1/messages/")) return ["Partners", "Officers"];
  if (path.startsWith("/v1/sms/opt-outs")) return ["Admins"];
  if (path.includes("/me/") || path.endsWith("/on-duty")) return ["Officers"];
  if (ADMIN_RESOURCES.has(resource)) return ["Admins"];
  return ["Officers"];
}

/** "Partners · Parcels", always both words: Swagger UI lists a tag named like its audience ("Feeds") last. */
const tagName = (audience: string, resource: string) => `${audience} · ${resource}`;

type Operation = { tags?: string[] };
type Doc = {
  paths?: Record<string, Record<string, Operation>>;
  tags?: { name: string; description?: string }[];
};

/** Re-tags every operation "<audience> · <resource>" and lists the tags audience by audience. */
export function byAudience<D>(document: D): D {
  const doc = document as Doc;
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const resource = operation.tags?.[0] ?? "Other";
      operation.tags = audiencesOf(path, resource).map((audience) => tagName(audience, resource));
      for (const t of operation.tags) used.add(t);
    }
  }
  const resources = TAGS.map((t) => ({ name: t.name as string, description: t.description as string }));
  doc.tags = AUDIENCES.flatMap((audience) =>
    resources
      .filter((r) => used.has(`${audience.name} · ${r.name}`))
      .map((r) => ({
        name: `${audience.name} · ${r.name}`,
        description: `${audience.description}. ${r.description}`,
      })),
  );
  return document;
}
