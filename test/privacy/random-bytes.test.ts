import { describe, expect, it } from "vitest";
import { newId } from "../../src/ids";
import { createPii } from "../../src/privacy/pii";
import { pooledRandomBytes } from "../../src/random-bytes";

describe("pooled random bytes", () => {
  it("never hands out the same bytes twice, across many refills of the pool", () => {
    const seen = new Set<string>();
    // 16 bytes at a time, 10,000 times: about forty refills of the 4 KiB pool.
    for (let i = 0; i < 10_000; i++) seen.add(pooledRandomBytes(16).toString("hex"));
    expect(seen.size).toBe(10_000);
  });

  it("gives each caller bytes of its own, which the next call does not overwrite", () => {
    const first = pooledRandomBytes(12);
    const copy = Buffer.from(first);
    for (let i = 0; i < 1_000; i++) pooledRandomBytes(12);
    expect(first.equals(copy)).toBe(true);
  });

  it("serves sizes larger than the pool and sizes that straddle its end", () => {
    expect(pooledRandomBytes(10_000)).toHaveLength(10_000);
    for (const size of [1, 7, 4095, 33]) expect(pooledRandomBytes(size)).toHaveLength(size);
  });

  it("spreads over every value: ids use all 32 characters of their alphabet", () => {
    const used = new Set(
      Array.from({ length: 2_000 }, () => newId("alert").slice(-16)).flatMap((r) => [...r]),
    );
    expect(used.size).toBe(32);
  });

  it("keeps encryption sound: the same phone number encrypts differently every time and decrypts back", () => {
    const pii = createPii(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
    const sealed = Array.from({ length: 500 }, () => pii.encrypt("13812345678"));
    expect(new Set(sealed).size).toBe(500);
    expect(sealed.every((s) => pii.decrypt(s) === "13812345678")).toBe(true);
  });
});
