import { beforeAll, describe, expect, it } from "vitest";
import { parcelContext, warmDatabase } from "./support";

beforeAll(warmDatabase);

describe("the courier API in /openapi.json", () => {
  it("documents every courier route, with the reports in JSON and CSV", async () => {
    const ctx = await parcelContext();
    const res = await ctx.app.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };

    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "post /v1/partners/{partnerId}/parcel-events",
        "get /v1/partners/{partnerId}/parcel-events/{waybillNo}",
        "get /v1/partners/{partnerId}/reports/sms",
        "get /v1/reports/sms",
        "post /v1/partners",
        "patch /v1/partners/{id}",
        "post /v1/partners/{id}/keys",
        "post /v1/partners/{id}/keys/{keyId}/revoke",
        "post /v1/campaigns",
        "post /v1/campaigns/{id}/templates",
        "post /v1/campaign-templates/check",
      ]),
    );
    const report = doc.paths["/v1/reports/sms"]?.get?.responses["200"]?.content ?? {};
    expect(Object.keys(report).sort()).toEqual(["application/json", "text/csv"]);
  });
});
