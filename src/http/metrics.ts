import { Hono, type MiddlewareHandler } from "hono";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Deps } from "../deps";
import { metricsSnapshot } from "../metrics/snapshot";
import type { AppEnv } from "./env";

/**
 * Prometheus metrics (text exposition format). Request latency is observed by this process; everything else
 * is read from the database at scrape time (src/metrics/snapshot.ts), so any process of the station answers
 * for the whole of it. Served two ways, never openly: on a listener of its own bound to loopback
 * (METRICS_PORT, src/local/runtime.ts), which a reverse proxy in front of the API does not reach, and at
 * `/metrics` on the API only with `Authorization: Bearer METRICS_TOKEN`.
 */

// Process figures (memory, event-loop lag, GC) belong to the process, not to one app: registered once.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: "antifraud_" });
  }
  return processRegistry;
}

export interface Metrics {
  /** Times every request, labelled by the route's pattern (never the raw path: ids would explode the series). */
  observe: MiddlewareHandler<AppEnv>;
  /** The exposition text, with a fresh database snapshot. */
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(deps: Pick<Deps, "db" | "clock" | "log">): Metrics {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name: `antifraud_${name}`, help, labelNames, registers: [registry] });
  const g = {
    jobs: gauge("queue_jobs", "Jobs in the local queue, by queue and state (ready, delayed, running)", [
      "queue",
      "state",
    ]),
    oldest: gauge("queue_oldest_ready_seconds", "Age of the oldest job ready to run, by queue", ["queue"]),
    dead: gauge("queue_dead_jobs", "Jobs given up on (dead letters), by queue", ["queue"]),
    sms: gauge("sms_messages_24h", "SMS created in the last 24 hours, by lane and current status", [
      "lane",
      "status",
    ]),
    smsOldest: gauge("sms_oldest_queued_seconds", "Age of the oldest SMS not yet submitted, by lane", [
      "lane",
    ]),
    open: gauge("alerts_open", "Open alerts by stage and risk level", ["stage", "risk_level"]),
    overdue: gauge("alerts_overdue", "Open alerts past their deadline, by stage and risk level", [
      "stage",
      "risk_level",
    ]),
    escalations: gauge("escalations_24h", "Escalation steps paged in the last 24 hours"),
    feedback: gauge(
      "feedback_events",
      "Feedback callbacks: pending, pending that failed at least once (failing), given up (dead)",
      ["state"],
    ),
    up: gauge("metrics_database_up", "1 when the database answered this scrape, 0 when it did not"),
  };
  const latency = new Histogram({
    name: "antifraud_http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  async function refresh() {
    for (const metric of Object.values(g)) metric.reset();
    try {
      const s = await metricsSnapshot(deps.db, deps.clock.now());
      for (const q of s.queues) {
        g.jobs.set({ queue: q.queue, state: "ready" }, q.ready);
        g.jobs.set({ queue: q.queue, state: "delayed" }, q.delayed);
        g.jobs.set({ queue: q.queue, state: "running" }, q.running);
        g.oldest.set({ queue: q.queue }, q.oldestReadySeconds);
      }
      for (const d of s.deadJobs) g.dead.set({ queue: d.queue }, d.count);
      for (const m of s.sms) g.sms.set({ lane: m.lane, status: m.status }, m.count);
      for (const m of s.smsOldestQueuedSeconds) g.smsOldest.set({ lane: m.lane }, m.seconds);
      for (const a of s.alerts) {
        g.open.set({ stage: a.stage, risk_level: a.riskLevel }, a.count);
        g.overdue.set({ stage: a.stage, risk_level: a.riskLevel }, a.overdue);
      }
      g.escalations.set(s.escalations24h);
      for (const [state, value] of Object.entries(s.feedback)) g.feedback.set({ state }, value);
      g.up.set(1);
    } catch (error) {
      // A scrape during a database outage still answers: the outage is itself the figure to alert on.
      deps.log.warn({ err: error }, "metrics: the database did not answer");
      g.up.set(0);
    }
  }

  return {
    observe: async (c, next) => {
      const end = latency.startTimer();
      await next();
      const handler = c.req.matchedRoutes.filter((r) => r.method !== "ALL").at(-1);
      end({ method: c.req.method, route: handler?.path ?? "unmatched", status: String(c.res.status) });
    },
    async render() {
      await refresh();
      const merged = Registry.merge([registry, processMetrics()]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}

/** `/metrics` on its own, for the loopback listener. */
export function metricsApp(metrics: Metrics) {
  return new Hono().get("/metrics", async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { "content-type": contentType });
  });
}
