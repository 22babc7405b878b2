import { DB_PRIORITIES, type DbPriority } from "./priority";

export interface TurnsOptions {
  /**
   * A waiter behind higher-priority work goes next once it has waited this long, and only one such waiter
   * per this interval: background work keeps moving through a burst of requests, with a bounded share.
   */
  agedAfterMs: number;
  now?: () => number;
}

interface Waiter {
  since: number;
  start: () => void;
}

/**
 * Who uses a single connection next. PGlite has one connection, and its own lock serves whoever asked first:
 * a request's transaction then waits behind every queue worker's statement already waiting, and with SMS
 * being sent requests waited for seconds. Here the waiter with the highest priority goes first (FIFO within
 * a priority), except that a lower-priority waiter that has waited `agedAfterMs` goes ahead, at most once
 * per `agedAfterMs`, so workers are slowed, never stopped, by a stream of requests.
 *
 * A turn is one statement outside a transaction, or a whole transaction.
 */
export class PriorityTurns {
  private busy = false;
  private readonly waiting = new Map<DbPriority, Waiter[]>(DB_PRIORITIES.map((p) => [p, []]));
  private lastAgedTurn = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: TurnsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  async run<T>(priority: DbPriority, work: () => Promise<T>): Promise<T> {
    if (this.busy) {
      await new Promise<void>((start) => this.waiting.get(priority)?.push({ since: this.now(), start }));
    } else {
      this.busy = true;
    }
    try {
      return await work();
    } finally {
      this.handOver();
    }
  }

  /** Waiters, by priority (for tests and metrics). */
  queued(): Record<DbPriority, number> {
    return Object.fromEntries(DB_PRIORITIES.map((p) => [p, this.waiting.get(p)?.length ?? 0])) as Record<
      DbPriority,
      number
    >;
  }

  /**
   * The next turn starts after the event loop has polled for I/O (setImmediate), and who takes it is decided
   * then. Handing over in a microtask would let waiting workers pass the connection among themselves without
   * ever returning to the event loop: PGlite runs a statement without yielding, so a request's bytes would sit
   * unread in its socket until every worker went to sleep, and the request would never be waiting here.
   */
  private handOver(): void {
    if (DB_PRIORITIES.every((p) => this.waiting.get(p)?.length === 0)) {
      this.busy = false;
      return;
    }
    setImmediate(() => (this.aged() ?? this.first())?.start());
  }

  /** The head of the first non-empty queue, highest priority first. */
  private first(): Waiter | undefined {
    for (const priority of DB_PRIORITIES) {
      const queue = this.waiting.get(priority) as Waiter[];
      if (queue.length > 0) return queue.shift();
    }
    return undefined;
  }

  /** A waiter that has waited long enough behind higher-priority work, if its interval allows one now. */
  private aged(): Waiter | undefined {
    const now = this.now();
    const { agedAfterMs } = this.options;
    if (now - this.lastAgedTurn < agedAfterMs) return undefined;
    let ahead = false;
    for (const priority of DB_PRIORITIES) {
      const queue = this.waiting.get(priority) as Waiter[];
      const head = queue[0];
      if (!head) continue;
      if (ahead && now - head.since >= agedAfterMs) {
        this.lastAgedTurn = now;
        return queue.shift();
      }
      ahead = true;
    }
    return undefined;
  }
}
