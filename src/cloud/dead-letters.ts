import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";

/**
 * An operator's view of a queue's dead letters in the cloud (`npm run cloud:redrive`): how many, what they
 * are, and moving them back to the queue they came from with SQS's own message move task, which keeps each
 * message's body and attributes. Our messages carry ids and types only (src/queue/messages.ts), never a
 * phone number, so printing them is safe.
 */

export interface DeadLetter {
  messageId: string;
  /** The message's type and ids, as published; `undefined` for a body that is not ours. */
  body: unknown;
  /** Deliveries before it was dead-lettered, and when it was first sent. */
  receiveCount: number;
  sentAt: Date | null;
}

export async function deadLetterCount(sqs: SQSClient, dlqUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Up to `max` dead letters, read without taking them: a visibility timeout of zero leaves each visible, so a
 * re-drive started right after still moves it. SQS samples its servers, so a look may show fewer than exist.
 */
export async function peekDeadLetters(sqs: SQSClient, dlqUrl: string, max = 10): Promise<DeadLetter[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlqUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    }),
  );
  return Messages.map((m) => ({
    messageId: m.MessageId ?? "",
    body: parseBody(m.Body),
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)) : null,
  }));
}

/**
 * Moves every dead letter back to the queue it was dead-lettered from (SQS remembers it), at most
 * `perSecond` a second so a backlog of thousands does not flood the consumers at once. Answers the task's
 * handle, for `moveStatus`.
 */
export async function redriveDeadLetters(sqs: SQSClient, dlqUrl: string, perSecond = 50): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`no queue ARN for ${dlqUrl}`);
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: arn, MaxNumberOfMessagesPerSecond: perSecond }),
  );
  return TaskHandle ?? "";
}

/** The latest move tasks of a dead-letter queue: running, completed or failed, and how many they moved. */
export async function moveStatus(sqs: SQSClient, dlqUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
  );
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: Attributes?.QueueArn, MaxResults: 5 }),
  );
  return Results.map((r) => ({
    status: r.Status ?? "UNKNOWN",
    moved: r.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: r.ApproximateNumberOfMessagesToMove ?? null,
    failureReason: r.FailureReason ?? null,
    startedAt: r.StartedTimestamp ? new Date(r.StartedTimestamp) : null,
  }));
}

function parseBody(body: string | undefined): unknown {
  try {
    return body === undefined ? undefined : JSON.parse(body);
  } catch {
    return undefined;
  }
}
