import { withDbPriority } from "../db/priority";
import type { Deps } from "../deps";
import { type QueueName, SCHEDULES, type ScheduleName } from "../topology";

/**
 * The local stand-in for EventBridge: puts each scheduled message on its queue at start and then every
 * interval. Only a process that works the schedule's queue ticks it, so an API-only process adds nothing;
 * several worker processes tick independently, which is harmless because every scheduled consumer is
 * idempotent (two sweeps at once split the work).
 */
export function startSchedules(deps: Pick<Deps, "queue" | "config" | "log">, workedQueues: QueueName[]) {
  const timers: NodeJS.Timeout[] = [];
  for (const [name, spec] of Object.entries(SCHEDULES) as [
    ScheduleName,
    (typeof SCHEDULES)[ScheduleName],
  ][]) {
    if (!workedQueues.includes(spec.queue)) continue;
    const everySeconds =
      name === "sweep" ? (deps.config.SWEEP_INTERVAL_SECONDS ?? spec.everySeconds) : spec.everySeconds;
    const tick = () => {
      deps.queue
        .publish([{ queue: spec.queue, message: { type: spec.message, v: 1 } }])
        .catch((error: unknown) =>
          deps.log.error({ err: error, schedule: name }, "scheduled publish failed"),
        );
    };
    // A tick is queue work, not a request: it waits behind requests for the embedded database.
    withDbPriority("background", () => {
      tick();
      timers.push(setInterval(tick, everySeconds * 1000));
    });
    deps.log.debug({ schedule: name, everySeconds }, "schedule started");
  }
  return {
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
