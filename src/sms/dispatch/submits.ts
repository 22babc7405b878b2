import { Coalescer } from "../../db/coalesce";
import type { Deps } from "../../deps";
import { applyPendingReceipts, submitsWithPendingReceipts } from "../receipts/receipts";
import { type Message, writeSubmits } from "./message-store";

interface Submit {
  id: string;
  channel: string;
  providerMessageId: string | null;
  submittedAt: string;
  detail: string | null;
}

/**
 * A reminder's submit waits this long for others before it is written: at hundreds a second the statement
 * and its commit then cover several times as many. During the 10:00 release PostgreSQL spent a quarter less
 * CPU (bench:sms, BENCHMARKS.md). A warning's is written at once. A sender that dies meanwhile leaves what
 * dying between the send and its record always left, a window only 20 ms longer: the SMS's lease, which the
 * next claim once it runs out (af_claim_sms), or sooner the local runtime's take-over, marks outcome unknown.
 */
const BULK_LINGER_MS = 20;

/** Per database handle, one recorder per lane. */
const submitRecorders = new WeakMap<object, Map<Message["lane"], Coalescer<Submit, boolean>>>();

/**
 * Records the submit and its event, and looks for receipts that came first. Submits coming back while
 * another is being written go together in one statement (Coalescer): a warning already at the provider waits
 * at most one write longer to be marked, a reminder BULK_LINGER_MS more. Urgent and bulk have a recorder
 * each: a warning's record never waits behind a flood's write of a hundred reminders, and the urgent worker,
 * which takes its next batch only once this one is recorded, is not held up by bulk (bench:sms).
 */
export async function recordSubmitted(
  deps: Pick<Deps, "db" | "clock">,
  message: Message,
  providerMessageId: string | null,
  detail: string | null,
): Promise<void> {
  let lanes = submitRecorders.get(deps.db);
  if (!lanes) {
    lanes = new Map();
    submitRecorders.set(deps.db, lanes);
  }
  let recorder = lanes.get(message.lane);
  if (!recorder) {
    const db = deps.db;
    recorder = new Coalescer(
      (submits) => recordSubmits(db, submits),
      100,
      message.lane === "bulk" ? BULK_LINGER_MS : 0,
    );
    lanes.set(message.lane, recorder);
  }
  const pending = await recorder.add({
    id: message.id,
    channel: message.channel,
    providerMessageId,
    submittedAt: deps.clock.now().toISOString(),
    detail,
  });
  if (pending) await applyPendingReceipts(deps.db, message.channel, message.id, providerMessageId);
}

/**
 * One statement records many submits, a second looks for receipts that came first. The look must be its own
 * statement, after the update commits: a receipt stored while the update ran is invisible to the update's
 * snapshot, and its own re-check (applyReceipt) may have run before the update committed. With the look
 * after the commit, one of the two sides always sees the other.
 */
async function recordSubmits(db: Deps["db"], submits: Submit[]): Promise<boolean[]> {
  await writeSubmits(db, submits);
  const pending = await submitsWithPendingReceipts(db, submits);
  return submits.map((s) => pending.has(s.id));
}
