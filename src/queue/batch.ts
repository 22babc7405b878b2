import type { Log } from "../log";
import { type Message, MessageSchema } from "./messages";

export interface ReceivedRecord {
  /** The transport's id for this delivery (job id, SQS message id). */
  id: string;
  body: unknown;
  receiveCount: number;
}

export interface MessageContext {
  messageId: string;
  receiveCount: number;
  log: Log;
}

export type MessageHandler = (message: Message, ctx: MessageContext) => Promise<void>;

export interface BatchResult {
  /** Ids to redeliver later. Everything else is done (handled, or dropped as unparseable). */
  failed: { id: string; error: string }[];
}

/**
 * The one batch runner both runtimes use. Throwing from a handler means "retry me"; a message that
 * can never be handled (it does not parse) is logged and acknowledged rather than retried to death.
 */
export async function runBatch(
  records: ReceivedRecord[],
  handle: MessageHandler,
  log: Log,
  concurrency = 8,
): Promise<BatchResult> {
  const failed: BatchResult["failed"] = [];
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const record = records[next++] as ReceivedRecord;
      const parsed = MessageSchema.safeParse(record.body);
      if (!parsed.success) {
        log.error({ messageId: record.id, issues: parsed.error.issues }, "dropping unparseable message");
        continue;
      }
      const msgLog = log.child({
        messageId: record.id,
        type: parsed.data.type,
        traceId: parsed.data.traceId,
      });
      try {
        await handle(parsed.data, { messageId: record.id, receiveCount: record.receiveCount, log: msgLog });
      } catch (error) {
        msgLog.warn({ err: error, receiveCount: record.receiveCount }, "message failed; will retry");
        failed.push({ id: record.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, records.length) }, worker));
  return { failed };
}
