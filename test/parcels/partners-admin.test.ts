import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLog, partnerApiKeys, partners } from "../../schema";
import type { TestContext } from "../support/context";
import { aCampaign, adminToken, anEvent, parcelContext, postEvents, warmDatabase } from "./support";

beforeAll(warmDatabase);

type Created = {
  partner: { id: string; channel: string };
  apiKey: string;
  keyId: string;
  webhookSecret: string;
};

function adminRequest(ctx: TestContext, token: string, method: string, path: string, body?: unknown) {
  return ctx.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function createPartner(
  ctx: TestContext,
  token: string,
  body: Record<string, unknown> = {},
): Promise<Created> {
  const res = await adminRequest(ctx, token, "POST", "/v1/partners", {
    name: "顺丰驿站",
    channel: "sns",
    ...body,
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Created;
}

const post = (ctx: TestContext, partnerId: string, apiKey: string) =>
  postEvents(ctx, { id: partnerId, apiKey }, { events: [anEvent()] });

describe("partner administration", () => {
  it("creates a partner whose API key works at once and is stored only as a digest", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    await aCampaign(ctx);

    const created = await createPartner(ctx, token, { partsPerSecond: 20, dailyQuota: 5000 });

    expect(created.partner).toMatchObject({
      channel: "sns",
      partsPerSecond: 20,
      dailyQuota: 5000,
      disabledAt: null,
    });
    expect(created.apiKey).toMatch(/^pk_/);
    expect((await post(ctx, created.partner.id, created.apiKey)).status).toBe(200);
    const stored = await ctx.deps.db
      .select()
      .from(partnerApiKeys)
      .where(eq(partnerApiKeys.partnerId, created.partner.id));
    expect(JSON.stringify(stored)).not.toContain(created.apiKey);
    const [row] = await ctx.deps.db.select().from(partners).where(eq(partners.id, created.partner.id));
    expect(JSON.stringify(row)).not.toContain(created.webhookSecret);
  });

  it("rotates keys: a new key works beside the old one until the old one is revoked", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    await aCampaign(ctx);
    const { partner, apiKey: oldKey, keyId: oldKeyId } = await createPartner(ctx, token);

    const rotated = await adminRequest(ctx, token, "POST", `/v1/partners/${partner.id}/keys`);
    const { apiKey: newKey, keyId: newKeyId } = (await rotated.json()) as { apiKey: string; keyId: string };
    const bothWork = [
      (await post(ctx, partner.id, oldKey)).status,
      (await post(ctx, partner.id, newKey)).status,
    ];
    const revoke = await adminRequest(
      ctx,
      token,
      "POST",
      `/v1/partners/${partner.id}/keys/${oldKeyId}/revoke`,
    );
    const afterRevoke = [
      (await post(ctx, partner.id, oldKey)).status,
      (await post(ctx, partner.id, newKey)).status,
    ];
    const list = await adminRequest(ctx, token, "GET", `/v1/partners/${partner.id}/keys`);

    expect(rotated.status).toBe(201);
    expect(bothWork).toEqual([200, 200]);
    expect(revoke.status).toBe(200);
    expect(afterRevoke).toEqual([401, 200]);
    const { keys } = (await list.json()) as { keys: { keyId: string; revokedAt: string | null }[] };
    expect(keys.map((k) => [k.keyId, k.revokedAt !== null])).toEqual([
      [oldKeyId, true],
      [newKeyId, false],
    ]);
    expect(JSON.stringify(keys)).not.toContain(newKey);
  });

  it("answers 404 when revoking a key of another partner", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const a = await createPartner(ctx, token);
    const b = await createPartner(ctx, token);

    const res = await adminRequest(ctx, token, "POST", `/v1/partners/${a.partner.id}/keys/${b.keyId}/revoke`);

    expect(res.status).toBe(404);
    expect((await post(ctx, b.partner.id, b.apiKey)).status).not.toBe(401);
  });

  it("disables a partner: every key answers 401; enabling restores them", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    await aCampaign(ctx);
    const { partner, apiKey } = await createPartner(ctx, token);

    await adminRequest(ctx, token, "POST", `/v1/partners/${partner.id}/disable`);
    const disabled = (await post(ctx, partner.id, apiKey)).status;
    await adminRequest(ctx, token, "POST", `/v1/partners/${partner.id}/enable`);
    const enabled = (await post(ctx, partner.id, apiKey)).status;

    expect([disabled, enabled]).toEqual([401, 200]);
  });

  it("configures channel, limits and SMS API, sealing the API's secrets and never returning them", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { partner } = await createPartner(ctx, token);
    const smsApi = {
      url: "https://sms.courier.example/send",
      auth: { type: "bearer", token: "gateway-token-123" },
      response: { messageIdPath: "data.id" },
    };

    const res = await adminRequest(ctx, token, "PATCH", `/v1/partners/${partner.id}`, {
      channel: "partner_http",
      partsPerSecond: 50,
      dailyQuota: 20000,
      smsApi,
    });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { channel: string; smsApi: { auth: Record<string, string> } };
    expect(body).toMatchObject({ channel: "partner_http", partsPerSecond: 50, dailyQuota: 20000 });
    expect(body.smsApi.auth).toEqual({ type: "bearer", tokenEnc: "(set)" });
    const [row] = await ctx.deps.db.select().from(partners).where(eq(partners.id, partner.id));
    expect(JSON.stringify(row)).not.toContain("gateway-token-123");
    const auth = (row as unknown as { smsApi: { auth: { tokenEnc: string } } }).smsApi.auth;
    expect(ctx.deps.pii.decrypt(auth.tokenEnc)).toBe("gateway-token-123");
  });

  it("refuses partner_http without an SMS API, naming the field", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await adminRequest(ctx, token, "POST", "/v1/partners", {
      name: "x",
      channel: "partner_http",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "smsApi",
    ]);
  });

  it.each([
    ["an unknown channel", { name: "x", channel: "pigeon" }, "channel"],
    ["a zero rate", { name: "x", channel: "sns", partsPerSecond: 0 }, "partsPerSecond"],
    ["no name", { channel: "sns" }, "name"],
    [
      "an SMS API without a URL",
      { name: "x", channel: "partner_http", smsApi: { response: { messageIdPath: "id" } } },
      "smsApi.url",
    ],
    [
      "bearer auth without a token",
      {
        name: "x",
        channel: "partner_http",
        smsApi: {
          url: "https://x.example/sms",
          auth: { type: "bearer" },
          response: { messageIdPath: "id" },
        },
      },
      "smsApi.auth",
    ],
  ])("refuses %s with 400 naming the field", async (_name, body, path) => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const res = await adminRequest(ctx, token, "POST", "/v1/partners", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
  });

  it("writes an audit entry for each change, with ids and no secrets", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { partner, apiKey, keyId } = await createPartner(ctx, token);
    await adminRequest(ctx, token, "POST", `/v1/partners/${partner.id}/keys/${keyId}/revoke`);
    await adminRequest(ctx, token, "POST", `/v1/partners/${partner.id}/disable`);

    const entries = await ctx.deps.db.select().from(auditLog).where(eq(auditLog.targetId, partner.id));

    expect(entries.map((e) => [e.action, e.officerId])).toEqual([
      ["partner.create", "off_admin"],
      ["partner.key_revoke", "off_admin"],
      ["partner.disable", "off_admin"],
    ]);
    expect(JSON.stringify(entries)).not.toContain(apiKey);
  });

  it("is for admins only (403), and only for partners of their station (404)", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { partner } = await createPartner(ctx, token);
    const supervisor = await ctx.login("supervisor");
    const otherAdmin = await adminToken(ctx, "otheradmin");

    const asSupervisor = await adminRequest(ctx, supervisor, "POST", "/v1/partners", {
      name: "x",
      channel: "sns",
    });
    const asOtherStation = await adminRequest(ctx, otherAdmin, "GET", `/v1/partners/${partner.id}`);
    const rotateAsOtherStation = await adminRequest(
      ctx,
      otherAdmin,
      "POST",
      `/v1/partners/${partner.id}/keys`,
    );
    const anonymous = await ctx.app.request("/v1/partners");

    expect([
      asSupervisor.status,
      asOtherStation.status,
      rotateAsOtherStation.status,
      anonymous.status,
    ]).toEqual([403, 404, 404, 401]);
  });

  it("does not accept a partner API key on the admin routes", async () => {
    const ctx = await parcelContext();
    const token = await adminToken(ctx);
    const { partner, apiKey } = await createPartner(ctx, token);
    const res = await ctx.app.request(`/v1/partners/${partner.id}/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(res.status).toBe(401);
  });
});
