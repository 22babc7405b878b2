import { describe, expect, it } from "vitest";
import { dummyHash, hashPassword, PRODUCTION_HASH_COST, verifyPassword } from "../../src/auth/passwords";
import { loadConfig } from "../../src/config";
import { TEST_PASSWORD_HASH_COST } from "../support/fixture";

/**
 * Every other test hashes at TEST_PASSWORD_HASH_COST, by configuration. This file is where the production
 * parameters are checked, at their real cost, once.
 */
describe("password hashing parameters", () => {
  it("hashes with scrypt N=2^15, r=8, p=1 unless configured otherwise", async () => {
    expect(PRODUCTION_HASH_COST).toBe(15);
    expect(loadConfig({}).PASSWORD_HASH_COST).toBe(15);
    expect(loadConfig({ NODE_ENV: "production", ...productionKeys() }).PASSWORD_HASH_COST).toBe(15);

    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    await expect(verifyPassword("correct horse battery", hash)).resolves.toBe(true);
    await expect(verifyPassword("correct horse batterY", hash)).resolves.toBe(false);
  });

  it("verifies against a dummy hash as costly as a real one when the user does not exist", async () => {
    expect(await dummyHash()).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await dummyHash(TEST_PASSWORD_HASH_COST)).toMatch(/^scrypt\$16\$8\$1\$/);
    // Made once per cost, not per login.
    expect(dummyHash()).toBe(dummyHash());
  });

  it.each(["development", "production"])("refuses a cheaper cost with NODE_ENV=%s, naming the key", (env) => {
    expect(() => loadConfig({ NODE_ENV: env, PASSWORD_HASH_COST: "10", ...productionKeys() })).toThrow(
      /PASSWORD_HASH_COST/,
    );
  });

  it("accepts a cheaper cost in tests, and still verifies production-cost hashes there", async () => {
    expect(loadConfig({ NODE_ENV: "test", PASSWORD_HASH_COST: "4" }).PASSWORD_HASH_COST).toBe(4);
    const cheap = await hashPassword("pw", TEST_PASSWORD_HASH_COST);
    expect(cheap).toMatch(/^scrypt\$16\$8\$1\$/);
    await expect(verifyPassword("pw", cheap)).resolves.toBe(true);
  });
});

function productionKeys() {
  return {
    DATABASE_URL: "postgres://u@db/x",
    PII_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
    PII_HASH_KEY: Buffer.alloc(32, 2).toString("base64"),
  };
}
