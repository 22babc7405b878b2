import type { Tx } from "../db/client";
import type { Deps } from "../deps";
import type { Outgoing } from "./port";

export type Publish = (...items: Outgoing[]) => void;

/**
 * Runs `work` in a transaction and delivers the messages it publishes: inside the transaction when the
 * queue is a table (outbox), after commit otherwise. Either way no message leaves for a rolled-back change.
 */
export async function transact<T>(
  deps: Pick<Deps, "db" | "queue">,
  work: (tx: Tx, publish: Publish) => Promise<T>,
): Promise<T> {
  const outgoing: Outgoing[] = [];
  const publish: Publish = (...items) => outgoing.push(...items);
  const result = await deps.db.transaction(async (tx) => {
    const value = await work(tx, publish);
    if (deps.queue.transactional && outgoing.length > 0) await deps.queue.publish(outgoing, tx);
    return value;
  });
  if (outgoing.length > 0) {
    if (deps.queue.transactional) await deps.queue.committed?.(outgoing);
    else await deps.queue.publish(outgoing);
  }
  return result;
}
