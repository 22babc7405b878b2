/**
 * The parcel-event load for bench:parcels: a day's worth of courier events with realistic repeat recipients,
 * and the HTTP client that posts them. Run in-process, or as a child process (`--child`, BENCH_CLIENT=child)
 * that reads its requests from a file, so the client's CPU stays off the server's event loop.
 */
import { readFileSync } from "node:fs";

export interface ParcelRequest {
  url: string;
  apiKey: string;
  body: string;
  events: number;
}

export interface ParcelLoadResult {
  requests: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  requestMs: number[];
  results: Record<string, number>;
}

const KINDS = ["registered", "arrived_at_pickup_point", "out_for_delivery", "delivered"] as const;
/** The demo station's villages (covered by the demo campaign) and, one parcel in ten, a neighbouring county. */
const AREAS = ["652301105201", "652301105202", "652301105203", "652302100201"] as const;
const MOBILE_PREFIXES = ["138", "139", "150", "186", "177", "135"] as const;

/** A deterministic generator, so every run (and the baseline) posts the same events. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `total` events from two partners, in batches of `batchSize`. Parcels have one to four events (most have two or
 * three) that arrive hours apart, so one parcel's events land in different batches. Recipients repeat: a pool of
 * about a quarter as many numbers as events, skewed so a fifth of them receive over half of the parcels (online
 * shoppers), and each number spelled in one of several common ways.
 */
export function parcelBatches(
  total: number,
  batchSize: number,
  partners: { url: string; apiKey: string }[],
  prefix: string,
  now = Date.now(),
): ParcelRequest[] {
  const rnd = random(20261128);
  const pool = Math.max(100, Math.floor(total / 4));
  const phone = (n: number) => {
    const digits = String(10_000_000 + ((n * 7_919 + 1_234_567) % 89_999_999)).slice(-8);
    const mobile = `${MOBILE_PREFIXES[n % MOBILE_PREFIXES.length]}${digits}`;
    const style = n % 3;
    return style === 0
      ? mobile
      : style === 1
        ? `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`
        : `0086${mobile}`;
  };
  const recipient = () => (rnd() < 0.55 ? Math.floor(rnd() * pool * 0.2) : Math.floor(rnd() * pool));
  type Ev = { partner: number; at: number; event: Record<string, unknown> };
  const events: Ev[] = [];
  let parcel = 0;
  while (events.length < total) {
    parcel += 1;
    const partner = parcel % partners.length;
    const r = rnd();
    const count = r < 0.15 ? 1 : r < 0.55 ? 2 : r < 0.9 ? 3 : 4;
    const start = now - 20 * 3_600_000 + Math.floor(rnd() * 16 * 3_600_000);
    const to = phone(recipient());
    const area = AREAS[rnd() < 0.9 ? Math.floor(rnd() * 3) : 3] as string;
    const waybillNo = `${prefix}${String(parcel).padStart(10, "0")}`;
    for (let k = 0; k < count && events.length < total; k++) {
      const at = start + k * Math.floor(1 + rnd() * 3) * 3_600_000;
      events.push({
        partner,
        at,
        event: {
          waybillNo,
          kind: KINDS[k],
          recipientPhone: to,
          area: { code: area },
          occurredAt: new Date(Math.min(at, now)).toISOString(),
          pickupPoint: "三工镇菜鸟驿站",
        },
      });
    }
  }
  events.sort((a, b) => a.at - b.at);
  const perPartner = partners.map((target, p) => {
    const mine = events.filter((e) => e.partner === p).map((e) => e.event);
    const list: ParcelRequest[] = [];
    for (let i = 0; i < mine.length; i += batchSize) {
      const slice = mine.slice(i, i + batchSize);
      list.push({ ...target, body: JSON.stringify({ events: slice }), events: slice.length });
    }
    return list;
  });
  // The partners' streams interleaved, as they would arrive.
  const requests: ParcelRequest[] = [];
  for (let i = 0; requests.length < perPartner.reduce((n, l) => n + l.length, 0); i++) {
    for (const list of perPartner) if (list[i]) requests.push(list[i] as ParcelRequest);
  }
  return requests;
}

/**
 * Posts the requests, `concurrency` at a time (closed loop: throughput), or, with `ratePerSecond`, each at its
 * turn of a steady offered rate of events whatever the answers (open loop: a request's latency at that rate).
 */
export async function runParcelLoad(
  requests: ParcelRequest[],
  concurrency: number,
  ratePerSecond?: number,
): Promise<ParcelLoadResult> {
  const statuses: Record<string, number> = {};
  const results: Record<string, number> = {};
  const requestMs: number[] = [];
  const post = async (request: ParcelRequest) => {
    const t = performance.now();
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${request.apiKey}` },
        body: request.body,
      });
      const text = await response.text();
      requestMs.push(performance.now() - t);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 200) {
        for (const r of (JSON.parse(text) as { results: { status: string; reason?: string }[] }).results) {
          const key = r.reason ? `${r.status}:${r.reason}` : r.status;
          results[key] = (results[key] ?? 0) + 1;
        }
      }
    } catch (error) {
      const key = `error:${(error as Error).message}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const started = performance.now();
  if (ratePerSecond) {
    let eventsBefore = 0;
    const sent = requests.map(async (request) => {
      const due = started + (eventsBefore / ratePerSecond) * 1000;
      eventsBefore += request.events;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      await post(request);
    });
    await Promise.all(sent);
  } else {
    let next = 0;
    const lane = async () => {
      while (next < requests.length) await post(requests[next++] as ParcelRequest);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane));
  }
  return { requests: requests.length, elapsedMs: performance.now() - started, statuses, requestMs, results };
}

if (process.argv.includes("--child")) {
  process.once("message", (spec: { file: string; concurrency: number; rate?: number }) => {
    const requests = JSON.parse(readFileSync(spec.file, "utf8")) as ParcelRequest[];
    runParcelLoad(requests, spec.concurrency, spec.rate)
      .then((result) => process.send?.(result, () => process.exit(0)))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  });
}
