import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { messageHandler } from "../consumers";
import type { Deps } from "../deps";
import { type MessageHandler, type ReceivedRecord, runBatch } from "../queue/batch";
import { MessageSchema } from "../queue/messages";
import { NOT_BEFORE_ATTRIBUTE, QUEUE_ATTRIBUTE } from "../queue/sqs-queue";
import { QUEUE_NAMES, type QueueName } from "../topology";

/**
 * The Lambda side of every queue: turns SQS records into the records the shared batch runner takes and
 * its failures into a partial batch response, so only the messages that threw are redelivered (and, after
 * `maxReceives`, dead-lettered by the queue's redrive policy, as the table queue moves them to dead_jobs).
 */
export async function handleSqsEvent(
  deps: Deps,
  event: SQSEvent,
  handle: MessageHandler = messageHandler(deps),
  /** Aborted shortly before the function times out: handlers that wait on purpose stop (MessageContext). */
  signal?: AbortSignal,
): Promise<SQSBatchResponse> {
  // The physical queue name (the ARN's last part) tells a reader which queue a log line came from.
  const log = deps.log.child({ queue: event.Records[0]?.eventSourceARN.split(":").pop() });
  const failures: string[] = [];
  const due: ReceivedRecord[] = [];
  for (const record of event.Records) {
    const deferral = deferredUntil(record, deps.clock.now().getTime());
    if (!deferral) {
      due.push(toReceived(record));
      continue;
    }
    // Not yet due (a delay longer than SQS's fifteen minutes): send it on for the rest of the wait.
    try {
      await deps.queue.publish([
        { queue: deferral.queue, message: deferral.message, delaySeconds: deferral.remainingSeconds },
      ]);
    } catch (error) {
      log.warn({ err: error, messageId: record.messageId }, "could not defer message; will retry");
      failures.push(record.messageId);
    }
  }
  const result = await runBatch(due, handle, log, { signal });
  return {
    batchItemFailures: [...failures, ...result.failed.map((f) => f.id)].map((id) => ({ itemIdentifier: id })),
  };
}

function toReceived(record: SQSRecord): ReceivedRecord {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    // Left as text: the batch runner logs it as unparseable and acknowledges it.
    body = record.body;
  }
  return {
    id: record.messageId,
    body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
  };
}

function deferredUntil(record: SQSRecord, now: number) {
  const notBefore = Number(record.messageAttributes?.[NOT_BEFORE_ATTRIBUTE]?.stringValue);
  const queue = record.messageAttributes?.[QUEUE_ATTRIBUTE]?.stringValue as QueueName | undefined;
  if (!Number.isFinite(notBefore) || notBefore <= now || !queue || !QUEUE_NAMES.includes(queue)) {
    return undefined;
  }
  let parsed: ReturnType<typeof MessageSchema.safeParse>;
  try {
    parsed = MessageSchema.safeParse(JSON.parse(record.body));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  return { queue, message: parsed.data, remainingSeconds: Math.ceil((notBefore - now) / 1000) };
}
