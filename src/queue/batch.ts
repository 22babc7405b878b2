import type { Log } from "../log";
import { type Message, MessageSchema, type MessageType } from "./messages";

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
  /**
   * Aborted when the runtime is stopping. A handler that waits on purpose (the paced release of deferred
   * reminders) ends early and leaves the rest to the next delivery, rather than holding up the shutdown.
   */
  signal?: AbortSignal;
}

/**
 * Handles several messages of one type together (one transaction, or one statement per step, for all of
 * them). Throwing sends every one of them back through the one-by-one handler, so a message that cannot be
 * handled still fails on its own. The messages it returns as failed (by `ctx.messageId`) are retried later,
 * as if the one-by-one handler had thrown for them.
 */
export type GroupHandler = (
  items: { message: Message; ctx: MessageContext }[],
) => Promise<{ failed: { messageId: string; error: unknown }[] }>;

export type MessageHandler = ((message: Message, ctx: MessageContext) => Promise<void>) & {
  /** Message types whose messages in one batch are handed over together rather than one by one. */
  groups?: Partial<Record<MessageType, GroupHandler>>;
};

export interface BatchResult {
  /** Ids to redeliver later. Everything else is done (handled, or dropped as unparseable). */
  failed: { id: string; error: string }[];
}

/**
 * The one batch runner both runtimes use. Throwing from a handler means "retry me"; a message that
 * can never be handled (it does not parse) is logged and acknowledged rather than retried to death.
 * Messages of a type with a group handler go to it together; if the group fails, each is retried here one
 * by one before the batch is settled, so grouping changes how many transactions run, not what is retried.
 */
export async function runBatch(
  records: ReceivedRecord[],
  handle: MessageHandler,
  log: Log,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<BatchResult> {
  const { concurrency = 8, signal } = options;
  const failed: BatchResult["failed"] = [];
  const single: Entry[] = [];
  const grouped = new Map<MessageType, Entry[]>();
  for (const record of records) {
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
    const entry: Entry = {
      record,
      message: parsed.data,
      ctx: { messageId: record.id, receiveCount: record.receiveCount, log: msgLog, signal },
    };
    if (handle.groups?.[parsed.data.type]) {
      grouped.set(parsed.data.type, [...(grouped.get(parsed.data.type) ?? []), entry]);
    } else {
      single.push(entry);
    }
  }

  const one = async (entry: Entry) => {
    try {
      await handle(entry.message, entry.ctx);
    } catch (error) {
      entry.ctx.log.warn(
        { err: error, receiveCount: entry.record.receiveCount },
        "message failed; will retry",
      );
      failed.push({ id: entry.record.id, error: error instanceof Error ? error.message : String(error) });
    }
  };
  const pool = async (entries: Entry[]) => {
    let next = 0;
    const worker = async () => {
      while (next < entries.length) await one(entries[next++] as Entry);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  };
  const retryOneByOne: Entry[] = [];
  const group = async (type: MessageType, entries: Entry[]) => {
    const groupHandler = handle.groups?.[type] as GroupHandler;
    if (entries.length === 1) return one(entries[0] as Entry);
    try {
      const outcome = await groupHandler(entries.map(({ message, ctx }) => ({ message, ctx })));
      for (const { messageId, error } of outcome.failed) {
        const entry = entries.find((e) => e.ctx.messageId === messageId);
        entry?.ctx.log.warn(
          { err: error, receiveCount: entry.record.receiveCount },
          "message failed; will retry",
        );
        failed.push({ id: messageId, error: error instanceof Error ? error.message : String(error) });
      }
    } catch (error) {
      log.warn(
        { err: error, type, messages: entries.length },
        "group failed; handling its messages one by one",
      );
      retryOneByOne.push(...entries);
    }
  };

  await Promise.all([...[...grouped].map(([type, entries]) => group(type, entries)), pool(single)]);
  await pool(retryOneByOne);
  return { failed };
}

interface Entry {
  record: ReceivedRecord;
  message: Message;
  ctx: MessageContext;
}
