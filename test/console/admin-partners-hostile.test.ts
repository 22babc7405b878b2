import { describe, expect, it } from "vitest";
import { csrfToken } from "../../src/console/csrf";
import { tokenFor } from "../support/access";
import { createTestContext } from "../support/context";
import { changedRows, rowCounter } from "../support/hostile";

/**
 * The admin pages' forms with hostile values, as a signed-in admin with a valid CSRF token (so the hostile
 * field is what the route sees): never a 5xx, and nothing written when a form is refused.
 */
const OPERATIONS: { method: string; path: string; fields: string[] }[] = [
  { method: "GET", path: "/console/admin/feeds", fields: ["done", "lang"] },
  { method: "POST", path: "/console/admin/feeds", fields: ["name", "callbackUrl"] },
  { method: "POST", path: "/console/admin/feeds/{id}/callback", fields: ["callbackUrl"] },
  { method: "POST", path: "/console/admin/feeds/{id}/rotate", fields: [] },
  { method: "GET", path: "/console/admin/partners/{id}", fields: ["done"] },
  {
    method: "POST",
    path: "/console/admin/partners",
    fields: ["name", "channel", "partsPerSecond", "dailyQuota", "smsApi"],
  },
  { method: "POST", path: "/console/admin/partners/{id}/keys", fields: ["mode"] },
  { method: "POST", path: "/console/admin/partners/{id}/keys/{id}/revoke", fields: [] },
  { method: "GET", path: "/console/admin/campaigns/{id}", fields: ["done"] },
  {
    method: "POST",
    path: "/console/admin/campaigns",
    fields: ["name", "areas", "startsOn", "endsOn", "priority"],
  },
  { method: "POST", path: "/console/admin/campaigns/check", fields: ["body"] },
  { method: "POST", path: "/console/admin/campaigns/signatures", fields: ["signature"] },
  { method: "POST", path: "/console/admin/campaigns/signatures/remove", fields: ["signature"] },
  { method: "POST", path: "/console/admin/campaigns/{id}/templates", fields: ["body"] },
  { method: "GET", path: "/console/admin/opt-outs", fields: ["phone", "cursor"] },
  { method: "POST", path: "/console/admin/opt-outs", fields: ["phone", "reason"] },
  { method: "POST", path: "/console/admin/opt-outs/remove", fields: ["id", "reason"] },
];

const HOSTILE = [
  "a%00b",
  "%ED%A0%80",
  "x".repeat(5000),
  "",
  "-1",
  "1e999",
  "NaN",
  "abc",
  "%E3%80%90a%00%E3%80%91",
];

describe("hostile input on the admin pages for partners and campaigns", () => {
  it("never answers 5xx and writes nothing for what it refuses", async () => {
    const ctx = await createTestContext();
    const token = (await tokenFor(ctx, "admin")) as string;
    const countRows = rowCounter(ctx.deps.db);
    const failures: string[] = [];
    for (const op of OPERATIONS) {
      const requests: { label: string; path: string; form?: string }[] = [];
      const at = (id: string) => op.path.replaceAll("{id}", id);
      for (const value of HOSTILE) {
        if (op.path.includes("{"))
          requests.push({ label: `id=${value.slice(0, 20)}`, path: at(value || "x") });
        for (const field of op.fields) {
          const label = `${field}=${value.slice(0, 20)}`;
          if (op.method === "GET") requests.push({ label, path: `${at("src_platform")}?${field}=${value}` });
          else requests.push({ label, path: at("src_platform"), form: `${field}=${value}` });
        }
      }
      for (const req of requests) {
        const before = op.method === "POST" ? await countRows() : undefined;
        const headers: Record<string, string> = { origin: "http://localhost", cookie: `af_session=${token}` };
        let body: string | undefined;
        if (op.method === "POST") {
          headers["content-type"] = "application/x-www-form-urlencoded";
          body = [req.form, `_csrf=${csrfToken(token)}`].filter(Boolean).join("&");
        }
        const res = await ctx.app.request(req.path, { method: op.method, headers, body });
        const label = `${op.method} ${op.path} ${req.label} → ${res.status}`;
        if (res.status >= 500) failures.push(`${label} ${(await res.text()).slice(0, 200)}`);
        if (before && res.status >= 400) {
          const after = await countRows();
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            failures.push(`${label}: refused, yet rows changed ${changedRows(before, after)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
