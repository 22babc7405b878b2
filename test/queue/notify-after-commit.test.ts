import { describe, expect, it } from "vitest";
import { NotifyAfterCommit } from "../../src/queue/notify-after-commit";

/** A send that the test finishes by hand, recording when each began. */
function manualSend() {
  const begun: { queue: string; finish: () => void }[] = [];
  const send = (queue: string) =>
    new Promise<void>((resolve) => {
      begun.push({ queue, finish: resolve });
    });
  return { begun, send };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("NotifyAfterCommit", () => {
  it("sends one NOTIFY after the one in flight for every request made meanwhile, however many", async () => {
    const { begun, send } = manualSend();
    const notifier = new NotifyAfterCommit(send);

    notifier.request("feedback");
    notifier.request("feedback");
    notifier.request("feedback");
    notifier.request("feedback");
    expect(begun.map((b) => b.queue)).toEqual(["feedback"]);

    begun[0]?.finish();
    await settle();
    // The first may have gone out before the later requesters' jobs committed: one more follows it.
    expect(begun.map((b) => b.queue)).toEqual(["feedback", "feedback"]);

    begun[1]?.finish();
    await settle();
    expect(begun).toHaveLength(2);
  });

  it("keeps queues apart, and carries on after a NOTIFY that failed", async () => {
    const calls: string[] = [];
    const notifier = new NotifyAfterCommit(async (queue) => {
      calls.push(queue);
      if (calls.length === 1) throw new Error("connection lost");
    });

    notifier.request("feedback");
    notifier.request("alert-push");
    await settle();
    notifier.request("feedback");
    await settle();

    expect(calls).toEqual(["feedback", "alert-push", "feedback"]);
  });
});
