import { describe, expect, it } from "vitest";
import { currentDbPriority, type DbPriority, withDbPriority } from "../../src/db/priority";
import { PriorityTurns } from "../../src/db/turns";

/** Turns on a clock the test moves; each turn holds until the test releases it. */
function harness(agedAfterMs = 100) {
  let now = 0;
  const turns = new PriorityTurns({ agedAfterMs, now: () => now });
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const take = (name: string, priority: DbPriority) =>
    turns.run(priority, async () => {
      started.push(name);
      await new Promise<void>((resolve) => releases.set(name, resolve));
    });
  const release = async (name: string) => {
    releases.get(name)?.();
    // Let the finished turn hand over (after the event loop's I/O poll) and the next one start.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    turns,
    take,
    release,
    started,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("PriorityTurns", () => {
  it("starts a turn at once when the connection is free", async () => {
    const { take, started } = harness();
    void take("a", "background");
    await Promise.resolve();
    expect(started).toEqual(["a"]);
  });

  it("lets a waiting request go before queue work that was waiting longer", async () => {
    const { take, release, started } = harness();
    void take("worker-1", "background");
    void take("worker-2", "background");
    void take("push", "urgent");
    void take("request", "interactive");
    await release("worker-1");
    await release("request");
    await release("push");
    expect(started).toEqual(["worker-1", "request", "push", "worker-2"]);
  });

  it("serves waiters of the same priority in the order they came", async () => {
    const { take, release, started } = harness();
    void take("first", "interactive");
    void take("second", "interactive");
    void take("third", "interactive");
    await release("first");
    await release("second");
    expect(started).toEqual(["first", "second", "third"]);
  });

  it("lets queue work that has waited long enough through a stream of requests, once per interval", async () => {
    const { take, release, started, advance } = harness(100);
    void take("request-0", "interactive");
    void take("worker-1", "background");
    void take("worker-2", "background");
    for (let i = 1; i <= 4; i++) void take(`request-${i}`, "interactive");
    advance(50);
    await release("request-0");
    expect(started.at(-1)).toBe("request-1");
    advance(60); // the workers have now waited 110 ms
    await release("request-1");
    expect(started.at(-1)).toBe("worker-1");
    await release("worker-1");
    // worker-2 has waited as long, but one aged turn per interval: requests go first again.
    expect(started.at(-1)).toBe("request-2");
    advance(100);
    await release("request-2");
    expect(started.at(-1)).toBe("worker-2");
  });

  it("hands the turn on when the work fails", async () => {
    const turns = new PriorityTurns({ agedAfterMs: 100 });
    const failing = turns.run("interactive", async () => {
      throw new Error("statement failed");
    });
    const next = turns.run("background", async () => "ran");
    await expect(failing).rejects.toThrow("statement failed");
    await expect(next).resolves.toBe("ran");
    expect(turns.queued()).toEqual({ interactive: 0, urgent: 0, background: 0 });
  });

  it("takes the priority from the work that is calling", async () => {
    const seen: DbPriority[] = [currentDbPriority()];
    await withDbPriority("urgent", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentDbPriority());
    });
    seen.push(currentDbPriority());
    expect(seen).toEqual(["interactive", "urgent", "interactive"]);
  });
});

describe("PriorityTurns between statements", () => {
  it("lets the event loop read I/O between turns, so a request arriving meanwhile goes before the queue", async () => {
    const turns = new PriorityTurns({ agedAfterMs: 10_000 });
    const order: string[] = [];
    // A backlog of worker statements that finish without yielding to the event loop, as PGlite's do.
    const backlog = Array.from({ length: 50 }, (_, i) =>
      turns.run("urgent", async () => {
        order.push(`worker-${i}`);
      }),
    );
    // A request that only arrives through the event loop (as a socket's bytes do), after the first turn.
    const request = new Promise<void>((resolve) =>
      setImmediate(() => {
        void turns
          .run("interactive", async () => {
            order.push("request");
          })
          .then(resolve);
      }),
    );
    await Promise.all([...backlog, request]);
    expect(order.indexOf("request")).toBeLessThan(3);
  });
});
