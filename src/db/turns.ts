import { DB_PRIORITIES, type DbPriority } from "./priority";

export interface TurnsOptions {
  /**
   * A waiter behind higher-priority work goes next once it has waited this long, and only one such waiter
   * per this interval: background work keeps moving through a burst of requests, with a bounded share.
   */
  agedAfterMs: number;
  /**
   * Queue work starts a turn only once requests have left the connection alone this long (unless it has aged,
   * above). 0: whenever no request is waiting.
   */
  quietMs?: number;
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
 * The connection is not the only thing requests and workers share: on PGlite they share the one thread, and
 * a worker's turn also brings its own JavaScript (building the next SMS, parsing results). So queue work
 * waits for a quiet moment (`quietMs` without a request's turn) rather than filling every gap between two
 * requests' statements, while a request is still being parsed and validated.
 *
 * A turn is one statement outside a transaction, or a whole transaction.
 */
export class PriorityTurns {
  /** Someone is running a turn. */
  private held = false;
  /** A decision on the next turn is scheduled for after the I/O poll. */
  private deciding = false;
  /** A decision is scheduled for when queue work may go (quiet, or aged); a request does not wait for it. */
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<DbPriority, Waiter[]>(DB_PRIORITIES.map((p) => [p, []]));
  private lastAgedTurn = Number.NEGATIVE_INFINITY;
  private lastRequestTurn = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: TurnsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  async run<T>(priority: DbPriority, work: () => Promise<T>): Promise<T> {
    if (this.free(priority)) {
      this.held = true;
    } else {
      await new Promise<void>((start) => {
        this.waiting.get(priority)?.push({ since: this.now(), start });
        this.decideSoon();
      });
    }
    try {
      return await work();
    } finally {
      if (priority === "interactive") this.lastRequestTurn = this.now();
      this.held = false;
      this.decideSoon();
    }
  }

  /** Waiters, by priority (for tests and metrics). */
  queued(): Record<DbPriority, number> {
    return Object.fromEntries(DB_PRIORITIES.map((p) => [p, this.waiting.get(p)?.length ?? 0])) as Record<
      DbPriority,
      number
    >;
  }

  /** Whether work of this priority may start at once: nothing runs, nobody it should let go first waits. */
  private free(priority: DbPriority): boolean {
    if (this.held || this.deciding) return false;
    for (const p of DB_PRIORITIES) {
      if ((this.waiting.get(p)?.length ?? 0) > 0) return false;
      if (p === priority) break;
    }
    return priority === "interactive" || this.quiet(this.now());
  }

  private quiet(now: number): boolean {
    return now - this.lastRequestTurn >= (this.options.quietMs ?? 0);
  }

  /**
   * The next turn starts after the event loop has polled for I/O (setImmediate), and who takes it is decided
   * then. Handing over in a microtask would let waiting workers pass the connection among themselves without
   * ever returning to the event loop: PGlite runs a statement without yielding, so a request's bytes would sit
   * unread in its socket until every worker went to sleep, and the request would never be waiting here.
   */
  private decideSoon(): void {
    if (this.held || this.deciding) return;
    if (DB_PRIORITIES.every((p) => this.waiting.get(p)?.length === 0)) return;
    this.deciding = true;
    setImmediate(() => this.decide());
  }

  private decide(): void {
    this.deciding = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.held) return;
    const now = this.now();
    const next = this.aged(now) ?? this.first(now);
    if (next) {
      this.held = true;
      next.start();
      return;
    }
    // Only queue work waits, and requests used the connection moments ago: look again when it is quiet, or
    // when the oldest waiter ages, whichever comes first. A request arriving meanwhile decides at once.
    const oldest = Math.min(
      ...DB_PRIORITIES.slice(1).map((p) => this.waiting.get(p)?.[0]?.since ?? Number.POSITIVE_INFINITY),
    );
    const quietAt = this.lastRequestTurn + (this.options.quietMs ?? 0);
    const agedAt = Math.max(oldest + this.options.agedAfterMs, this.lastAgedTurn + this.options.agedAfterMs);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.decide();
      },
      Math.max(1, Math.min(quietAt, agedAt) - now),
    );
  }

  /** A request if one waits; else, once it is quiet, the head of the first non-empty queue. */
  private first(now: number): Waiter | undefined {
    const requests = this.waiting.get("interactive") as Waiter[];
    if (requests.length > 0) return requests.shift();
    if (!this.quiet(now)) return undefined;
    for (const priority of DB_PRIORITIES) {
      const queue = this.waiting.get(priority) as Waiter[];
      if (queue.length > 0) return queue.shift();
    }
    return undefined;
  }

  /** A waiter that has waited long enough behind higher-priority work, if its interval allows one now. */
  private aged(now: number): Waiter | undefined {
    const { agedAfterMs } = this.options;
    if (now - this.lastAgedTurn < agedAfterMs) return undefined;
    // Queue work is behind requests when one waits, or when requests used the connection moments ago.
    let ahead = (this.waiting.get("interactive")?.length ?? 0) > 0 || !this.quiet(now);
    for (const priority of DB_PRIORITIES.slice(1)) {
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
