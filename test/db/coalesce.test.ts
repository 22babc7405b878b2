import { describe, expect, it } from "vitest";
import { Coalescer } from "../../src/db/coalesce";

/** A run that records the batches it was given and answers each item with its double, after a turn. */
function doubling() {
  const runs: number[][] = [];
  let release: () => void = () => {};
  const coalescer = new Coalescer<number, number>(async (items) => {
    runs.push(items);
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return items.map((i) => i * 2);
  }, 3);
  return { coalescer, runs, release: () => release() };
}

describe("Coalescer", () => {
  it("runs a lone call at once, and the calls made meanwhile together in the next run", async () => {
    const { coalescer, runs, release } = doubling();
    const first = coalescer.add(1);
    expect(runs).toEqual([[1]]);
    const later = [coalescer.add(2), coalescer.add(3)];
    release();
    expect(await first).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([[1], [2, 3]]);
    release();
    expect(await Promise.all(later)).toEqual([4, 6]);
  });

  it("never puts more than maxBatch items in one run", async () => {
    const { coalescer, runs, release } = doubling();
    const all = [1, 2, 3, 4, 5, 6].map((i) => coalescer.add(i));
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      release();
    }
    expect(await Promise.all(all)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(runs).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it("with a linger, waits that long for company before its first run", async () => {
    const runs: number[][] = [];
    const coalescer = new Coalescer<number, number>(
      async (items) => {
        runs.push(items);
        return items;
      },
      100,
      30,
    );
    const first = coalescer.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = coalescer.add(2);
    expect(runs).toEqual([]);

    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(runs).toEqual([[1, 2]]);
  });

  it("rejects every caller of a failed run, and runs the next batch regardless", async () => {
    let calls = 0;
    const coalescer = new Coalescer<string, string>(async (items) => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      if (calls === 2) throw new Error("database gone");
      return items;
    });
    const first = coalescer.add("a");
    const failing = [coalescer.add("b"), coalescer.add("c")];
    await first;
    const after = coalescer.add("d");
    await expect(Promise.all(failing.map((p) => p.catch((e: Error) => e.message)))).resolves.toEqual([
      "database gone",
      "database gone",
    ]);
    expect(await after).toBe("d");
  });
});
