import type { MessageOf, MessageType } from "./queue/messages";

/** Message types that carry nothing but their type (and version, trace id). */
export type TickMessageType = {
  [T in MessageType]: Exclude<keyof MessageOf<T>, "type" | "v" | "traceId"> extends never ? T : never;
}[MessageType];

/**
 * Queues, what they carry and how they are consumed: declared once, read by the local runtime
 * (src/local) and by the cloud resources (infra/). Visibility is in seconds; SQS needs at least six
 * times the function timeout, which infra/ derives from `timeoutSeconds`.
 */
export interface QueueSpec {
  /** The message types this queue carries. */
  carries: readonly MessageType[];
  batchSize: number;
  /** Parallel batches per local worker process. */
  concurrency: number;
  /** Deliveries before a message is dead-lettered. */
  maxReceives: number;
  /** Lambda timeout; the local visibility timeout comes from configuration. */
  timeoutSeconds: number;
  /**
   * Cloud: the most Lambda instances consuming this queue at once (the SQS event source's maximum
   * concurrency, 2 to 1000). Each instance holds CLOUD_POOL_SIZE database connections, so these numbers are
   * the database connection budget (cloudConnectionDemand below).
   */
  maxConcurrency: number;
  /**
   * Cloud: the age of the queue's oldest message that raises an alarm. Short for the lanes a person waits on;
   * longer where messages wait on purpose (an officer's bundling interval, feedback retries, quiet hours).
   */
  alarmAgeSeconds: number;
  /**
   * Local, on the embedded database's one connection (src/db/turns.ts): whether this queue's work goes before
   * other queues' ("urgent": a victim or an officer is waiting on it) or after. Requests go before both.
   */
  databasePriority: "urgent" | "background";
}

export const QUEUES = {
  "alert-push": {
    carries: ["alert.push", "alert.rewarn"],
    batchSize: 25,
    concurrency: 2,
    maxReceives: 10,
    timeoutSeconds: 30,
    maxConcurrency: 10,
    databasePriority: "urgent",
    alarmAgeSeconds: 120,
  },
  // Its own queue rather than alert-push: most of its messages wait out an officer's interval (delayed), and its
  // consumer locks officer rows, so it is kept from slowing pushes and can be given its own concurrency.
  "officer-notify": {
    carries: ["officer.notify"],
    batchSize: 25,
    concurrency: 1,
    maxReceives: 10,
    timeoutSeconds: 30,
    maxConcurrency: 3,
    databasePriority: "urgent",
    alarmAgeSeconds: 900,
  },
  "sms-urgent": {
    carries: ["sms.send"],
    batchSize: 25,
    concurrency: 2,
    maxReceives: 10,
    timeoutSeconds: 30,
    maxConcurrency: 5,
    databasePriority: "urgent",
    alarmAgeSeconds: 120,
  },
  // A reminder spends its time waiting for a rate slot and the provider's answer, not on the CPU: enough
  // batches in flight that a process can keep a 500 parts/s gateway busy (bench/sms.ts).
  "sms-bulk": {
    carries: ["sms.send"],
    batchSize: 50,
    concurrency: 4,
    maxReceives: 10,
    timeoutSeconds: 60,
    maxConcurrency: 10,
    databasePriority: "background",
    alarmAgeSeconds: 3600,
  },
  // Retries are scheduled by the feedback consumer itself (up to a day); maxReceives only catches crashes.
  // feedback.create is rare (one per closed alert) and quick, so it shares the queue with deliveries. A batch
  // of callbacks costs about the same few statements whatever its size (src/feedback/deliver.ts), so batches
  // are large: 50 drain a backlog several times faster than 10 (bench:verify); in the cloud the one-second
  // batching window this needs (infra/consumers.ts) is small beside a callback's retry schedule.
  feedback: {
    carries: ["feedback.create", "feedback.deliver"],
    batchSize: 50,
    concurrency: 2,
    maxReceives: 50,
    timeoutSeconds: 60,
    // Two instances (was three): feedback is one event per closed alert; the partner callbacks below took the
    // connections of the third within the smallest stage's budget (infra/settings.ts).
    maxConcurrency: 2,
    databasePriority: "background",
    alarmAgeSeconds: 3600,
  },
  // One sweep at a time per process; a lost tick is replaced by the next one, so few receives are enough.
  sweeper: {
    carries: ["sweep.run"],
    batchSize: 1,
    concurrency: 1,
    maxReceives: 3,
    timeoutSeconds: 120,
    maxConcurrency: 2,
    databasePriority: "background",
    alarmAgeSeconds: 600,
  },
  // Releases deferred reminders in order; one run at a time is enough (it loops over batches), a lost tick is
  // replaced by the next one.
  "parcel-release": {
    carries: ["parcels.release"],
    batchSize: 1,
    concurrency: 1,
    maxReceives: 3,
    timeoutSeconds: 120,
    maxConcurrency: 2,
    databasePriority: "background",
    alarmAgeSeconds: 600,
  },
  // Partners' message-status callbacks: one delivery per partner at a time (the stream is leased), retries
  // scheduled by the consumer itself for up to FEEDBACK_RETRY_HOURS; maxReceives only catches crashes. Its own
  // queue, so a partner's slow receiver never delays feedback to the feeds.
  "partner-callbacks": {
    carries: ["partner-callbacks.deliver", "partner-callbacks.tick"],
    batchSize: 10,
    concurrency: 2,
    maxReceives: 50,
    timeoutSeconds: 60,
    maxConcurrency: 2,
    databasePriority: "background",
    alarmAgeSeconds: 3600,
  },
} as const satisfies Record<string, QueueSpec>;

/**
 * Cloud: database connections each Lambda instance opens. A consumer's batch runs a few messages at once
 * (src/queue/batch.ts); two connections keep them moving without letting instances × pool outgrow the
 * database. The API answers one request per instance.
 */
export const CLOUD_POOL_SIZE = 2;

/** Cloud: reserved concurrency of the functions not fed by a queue (their ceiling on instances). */
export const CLOUD_FUNCTIONS = {
  /** The JSON API: feeds' warnings and partners' parcel events arrive here, in bursts. */
  api: { reservedConcurrency: 16 },
  /** The console's pages: a station's officers and admins, one page at a time each (tens of people). */
  console: { reservedConcurrency: 4 },
  /** Turns SNS delivery-status logs into receipts: bursts are batched by CloudWatch Logs already. */
  smsDeliveryLog: { reservedConcurrency: 3 },
  migrate: { reservedConcurrency: 1 },
} as const;

/**
 * The most database connections the cloud deployment can open at once: every function at its ceiling, each
 * instance with its pool. infra/ refuses to deploy a stage whose database budget is smaller.
 */
export function cloudConnectionDemand(): { total: number; byFunction: Record<string, number> } {
  const byFunction: Record<string, number> = {
    ...Object.fromEntries(Object.entries(QUEUES).map(([name, q]) => [`${name} consumer`, q.maxConcurrency])),
    ...Object.fromEntries(Object.entries(CLOUD_FUNCTIONS).map(([name, f]) => [name, f.reservedConcurrency])),
  };
  for (const name of Object.keys(byFunction))
    byFunction[name] = (byFunction[name] as number) * CLOUD_POOL_SIZE;
  return { total: Object.values(byFunction).reduce((a, b) => a + b, 0), byFunction };
}

/** A deployment's database connection budget (a stage setting) must cover the demand: the message says by how much. */
export function checkConnectionBudget(budget: number): void {
  const { total, byFunction } = cloudConnectionDemand();
  if (total > budget) {
    const parts = Object.entries(byFunction)
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    throw new Error(
      `the functions may open ${total} database connections but the stage's budget is ${budget} (${parts}): lower maxConcurrency in src/topology.ts or raise the budget in infra/settings.ts`,
    );
  }
}

/**
 * Messages whose effect the request that published them should already show: the local runtime handles
 * them inside the publishing transaction, with their consumer's own code (src/local/prompt.ts), so the
 * officer who closes an alert sees its feedback queued in the answer, and the change and its consequence
 * commit together. In the cloud they travel through the queue like any other (the answer then shows the
 * outcome alone). Their consumers are idempotent.
 */
export const PROMPT_MESSAGES = ["feedback.create"] as const satisfies readonly MessageType[];

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

/** A message put on a queue on a fixed cadence: the local runtime's timer, an EventBridge rule in the cloud. */
export interface ScheduleSpec {
  queue: QueueName;
  /** Only a message type with no fields of its own: a timer has nothing to put in one. */
  message: TickMessageType;
  /**
   * Locally SWEEP_INTERVAL_SECONDS may override it. EventBridge rates have minute granularity, so infra/
   * rounds this up to whole minutes.
   */
  everySeconds: number;
}

export const SCHEDULES = {
  sweep: { queue: "sweeper", message: "sweep.run", everySeconds: 30 },
  // Deferred reminders wait for the sending window (10:00 by default); within a minute of it they go.
  parcelRelease: { queue: "parcel-release", message: "parcels.release", everySeconds: 60 },
  // Starts callbacks after a quiet spell (busy streams keep themselves going): within 5 s locally, within a
  // minute in the cloud, where EventBridge counts in minutes.
  partnerCallbacks: { queue: "partner-callbacks", message: "partner-callbacks.tick", everySeconds: 5 },
} as const satisfies Record<string, ScheduleSpec>;

export type ScheduleName = keyof typeof SCHEDULES;
