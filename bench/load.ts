import { signPayload } from "../src/signature";

/**
 * The load generator bench:intake drives, usable in-process or from a child process (bench/client.ts).
 * Bodies are built and signed before the clock starts, so the figures measure the server, not the client.
 */

export interface LoadSpec {
  /** http://127.0.0.1:<port>/v1/feeds/<sourceId>/warnings */
  url: string;
  secret: string;
  /** Makes externalIds unique per phase and lets the bench count its own rows. */
  prefix: string;
  requests: number;
  batchSize: number;
  /** burst: `concurrency` requests in flight, back to back. paced: one request every `intervalMs`. */
  mode: "burst" | "paced";
  concurrency: number;
  intervalMs: number;
  /** Stop issuing requests after this long (the benchmark must end by itself on a slow or busy machine). */
  maxMs: number;
}

/** Where a load goes: the feed's URL, its secret, and the prefix that marks this phase's warnings. */
type Target = Pick<LoadSpec, "url" | "secret" | "prefix">;

/** `warnings` in batches of `batchSize`, `concurrency` requests in flight back to back, for at most `maxMs`. */
export function burstLoad(
  target: Target,
  o: { warnings: number; batchSize: number; concurrency: number; maxMs: number },
): LoadSpec {
  return {
    ...target,
    requests: Math.ceil(o.warnings / o.batchSize),
    batchSize: o.batchSize,
    mode: "burst",
    concurrency: o.concurrency,
    intervalMs: 0,
    maxMs: o.maxMs,
  };
}

/** A steady `rate` warnings/s for `seconds`, in batches of `batchSize`; stops at most 5 s late. */
export function pacedLoad(target: Target, o: { rate: number; seconds: number; batchSize: number }): LoadSpec {
  return {
    ...target,
    requests: Math.round((o.rate * o.seconds) / o.batchSize),
    batchSize: o.batchSize,
    mode: "paced",
    concurrency: 0,
    intervalMs: (o.batchSize * 1000) / o.rate,
    maxMs: o.seconds * 1000 + 5_000,
  };
}

export interface LoadResult {
  /** Requests actually sent: fewer than asked when `maxMs` ran out. */
  requests: number;
  warnings: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  accepted: number;
  /** Per-request round trip, ms. */
  requestMs: number[];
}

const TYPES = ["funds", "call", "sms", "url", "app", "other"] as const;
const RISKS = ["critical", "high", "medium", "low"] as const;
const FRAUD = ["loan", "rebate", "impersonating_police", "fake_customer_service", "other"] as const;
/** Demo station jurisdictions (src/local/seed.ts): area prefixes, keywords, and neither (duty desk). */
const AREAS = [
  { code: "652301105201", address: "三工镇庙工村七组" },
  { code: "652301105202", address: "三工镇二工村三组" },
  { code: "652301", address: "三工镇三工村一组" },
  { code: "652301", address: "昌吉市某小区" },
] as const;
const MOBILE_PREFIXES = ["138", "139", "150", "186", "177"] as const;

/** One warning shaped like the example, varied so routing, phone parsing and templates all do work. */
export function aBenchWarning(prefix: string, i: number): Record<string, unknown> {
  // A distinct subject per warning, and per prefix, so no warning joins another's alert as a repeat.
  const space = [...prefix].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 800, 7);
  const digits = String(10_000_000 + (((space * 100_000 + i) * 7_919) % 89_999_999)).slice(-8);
  const mobile = `${MOBILE_PREFIXES[i % MOBILE_PREFIXES.length]}${digits}`;
  const spelled =
    i % 3 === 0
      ? `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`
      : i % 3 === 1
        ? mobile
        : `0086${mobile}`;
  const area = AREAS[i % AREAS.length] as (typeof AREAS)[number];
  return {
    externalId: `${prefix}-${String(i).padStart(7, "0")}`,
    type: TYPES[i % TYPES.length],
    fraudType: FRAUD[i % FRAUD.length],
    riskLevel: RISKS[i % RISKS.length],
    subject: { phone: spelled, name: "王某" },
    area: { code: area.code, address: area.address },
    indicators: [{ kind: "phone", value: "+8617012345678" }],
    detectedAt: new Date(Date.UTC(2026, 10, 28, 2, 0, i % 3600)).toISOString().replace("Z", "+00:00"),
    amountAtRisk: 100_000 + (i % 50) * 10_000,
  };
}

export function buildBodies(spec: Pick<LoadSpec, "prefix" | "requests" | "batchSize">): string[] {
  return Array.from({ length: spec.requests }, (_, r) =>
    JSON.stringify({
      warnings: Array.from({ length: spec.batchSize }, (_, k) =>
        aBenchWarning(spec.prefix, r * spec.batchSize + k),
      ),
    }),
  );
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const bodies = buildBodies(spec);
  const at = Math.floor(Date.now() / 1000);
  const signed = bodies.map((body) => ({ body, signature: signPayload(spec.secret, body, at) }));
  const statuses: Record<string, number> = {};
  const requestMs: number[] = [];
  let accepted = 0;

  const send = async (r: number) => {
    const { body, signature } = signed[r] as { body: string; signature: string };
    const t = performance.now();
    try {
      const response = await fetch(spec.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": signature },
        body,
      });
      const text = await response.text();
      requestMs.push(performance.now() - t);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (response.status === 202) {
        const { results } = JSON.parse(text) as { results: { status: string }[] };
        accepted += results.filter((x) => x.status === "accepted").length;
      }
    } catch (error) {
      const key = `error:${(error as Error).message}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };

  const started = performance.now();
  const stopAt = started + spec.maxMs;
  let sent = 0;
  if (spec.mode === "burst") {
    const lane = async () => {
      while (sent < spec.requests && performance.now() < stopAt) await send(sent++);
    };
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.requests) }, lane));
  } else {
    const inFlight: Promise<void>[] = [];
    for (; sent < spec.requests && performance.now() < stopAt; sent++) {
      const wait = started + sent * spec.intervalMs - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(send(sent));
    }
    await Promise.all(inFlight);
  }
  return {
    requests: sent,
    warnings: sent * spec.batchSize,
    elapsedMs: performance.now() - started,
    statuses,
    accepted,
    requestMs,
  };
}
