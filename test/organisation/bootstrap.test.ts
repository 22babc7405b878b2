import { describe, expect, it } from "vitest";
import { auditLog, feedSources, officers, partners, posts, stations } from "../../schema";
import { login } from "../../src/auth/sessions";
import { systemClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { resolveSmsSignature } from "../../src/local/signature";
import { BootstrapError, bootstrapStation } from "../../src/organisation/bootstrap";
import { createPii } from "../../src/privacy/pii";
import { TEST_KEYS } from "../support/context";
import { freshDatabase } from "../support/db";
import { TEST_PASSWORD_HASH_COST } from "../support/fixture";

const INPUT = {
  stationName: "三工派出所",
  signature: "【昌吉公安】",
  adminUsername: "zhang.admin",
  adminPhone: "138 0013 8000",
};

async function emptyStationServer() {
  const { database } = await freshDatabase();
  const config = loadConfig({ NODE_ENV: "test", PASSWORD_HASH_COST: String(TEST_PASSWORD_HASH_COST) });
  const pii = createPii(TEST_KEYS.encryptionKey, TEST_KEYS.hashKey);
  return { db: database.db, pii, clock: systemClock, config };
}

async function refusal(promise: Promise<unknown>): Promise<BootstrapError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BootstrapError);
  return error as BootstrapError;
}

/** `npm run setup` on an empty database (issue 15): the station, its duty desk and a first admin, nothing else. */
describe("bootstrapStation", () => {
  it("creates the station, its duty desk and an admin who must change the one-time password at first login", async () => {
    const deps = await emptyStationServer();

    const result = await bootstrapStation(deps, INPUT);

    const [station] = await deps.db.select().from(stations);
    expect(station).toMatchObject({ name: "三工派出所", smsSignature: "【昌吉公安】" });
    expect(await deps.db.select().from(posts)).toEqual([
      expect.objectContaining({ stationId: result.stationId, name: "所值班室", isDutyDesk: true }),
    ]);
    const [admin] = await deps.db.select().from(officers);
    expect(admin).toMatchObject({
      username: "zhang.admin",
      role: "admin",
      passwordChangeRequired: true,
      demo: false,
    });
    expect(deps.pii.decrypt(admin?.phoneEnc as string)).toBe("+8613800138000");
    const session = await login(deps, {
      username: "zhang.admin",
      password: result.oneTimePassword,
      clientAddress: "127.0.0.1",
    });
    expect(session.passwordChangeRequired).toBe(true);
    // No demo data: no feed source, no partner; only the admin's creation is in the audit log.
    expect(await deps.db.select().from(feedSources)).toEqual([]);
    expect(await deps.db.select().from(partners)).toEqual([]);
    expect((await deps.db.select().from(auditLog)).map((a) => a.action)).toEqual(["officer.created"]);
  });

  it("refuses a second station unless asked for one, and then keeps the server's one signature", async () => {
    const deps = await emptyStationServer();
    await bootstrapStation(deps, INPUT);

    const again = await refusal(bootstrapStation(deps, { ...INPUT, adminUsername: "li.admin" }));
    expect([again.field, again.zh]).toEqual(["another-station", expect.stringContaining("已有派出所")]);
    expect(await deps.db.select().from(stations)).toHaveLength(1);

    const otherSignature = await refusal(
      bootstrapStation(deps, {
        ...INPUT,
        signature: "【别处公安】",
        adminUsername: "li.admin",
        anotherStation: true,
      }),
    );
    expect(otherSignature.field).toBe("signature");
    const sameUsername = await refusal(bootstrapStation(deps, { ...INPUT, anotherStation: true }));
    expect(sameUsername.field).toBe("admin");

    await bootstrapStation(deps, {
      ...INPUT,
      stationName: "二工派出所",
      adminUsername: "li.admin",
      anotherStation: true,
    });
    expect(await deps.db.select().from(stations)).toHaveLength(2);
  });

  it.each([
    ["admin-phone", { adminPhone: "1380013" }, "手机号无效"],
    ["admin-phone", { adminPhone: "0994 2345678" }, "手机号无效"],
    ["admin", { adminUsername: "Zhang Admin" }, "用户名"],
    ["admin", { adminUsername: "zh" }, "用户名"],
    ["signature", { signature: "昌吉公安" }, "短信签名"],
    ["station", { stationName: " " }, "派出所名称"],
  ])(
    "refuses a bad %s with a message in Chinese and English, creating nothing",
    async (field, change, zh) => {
      const deps = await emptyStationServer();

      const error = await refusal(bootstrapStation(deps, { ...INPUT, ...change }));

      expect(error.field).toBe(field);
      expect(error.zh).toContain(zh);
      expect(error.en).toMatch(/[a-z]/);
      expect(await deps.db.select().from(stations)).toEqual([]);
    },
  );
});

/** The server sends with the signature setup stored, so the environment file cannot contradict it unnoticed. */
describe("resolveSmsSignature", () => {
  it("sends with the stored signature, and refuses an SMS_SIGNATURE that contradicts it, naming the key", async () => {
    const deps = await emptyStationServer();
    await bootstrapStation(deps, { ...INPUT, signature: "【三工派出所】" });

    expect(await resolveSmsSignature(deps.db, loadConfig({}))).toBe("【三工派出所】");
    expect(await resolveSmsSignature(deps.db, loadConfig({ SMS_SIGNATURE: "【三工派出所】" }))).toBe(
      "【三工派出所】",
    );
    await expect(resolveSmsSignature(deps.db, loadConfig({ SMS_SIGNATURE: "【昌吉公安】" }))).rejects.toThrow(
      /SMS_SIGNATURE: 【昌吉公安】 differs from 【三工派出所】/,
    );
  });

  it("uses SMS_SIGNATURE or the default on a database setup has not touched", async () => {
    const deps = await emptyStationServer();

    expect(await resolveSmsSignature(deps.db, loadConfig({}))).toBe("【昌吉公安】");
    expect(await resolveSmsSignature(deps.db, loadConfig({ SMS_SIGNATURE: "【某某公安】" }))).toBe(
      "【某某公安】",
    );
  });
});
