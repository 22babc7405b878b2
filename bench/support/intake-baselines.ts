import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { alerts, feedSources, jobs, stations, warnings } from "../../schema";
import { migrateDatabase } from "../../src/db/migrate";
import { openDatabase } from "../../src/db/open";
import { newId } from "../../src/ids";
import { normalizePhone } from "../../src/privacy/phone";
import { createPii } from "../../src/privacy/pii";
import { aBenchWarning, type LoadResult, type LoadSpec } from "../load";
import { recreateDatabase } from "./databases";
import { countLike } from "./intake-queries";
import { machineCpu } from "./machine";

/** bench:intake's baselines, measured in the same run as the runtime: what the same load costs with no application. */

/**
 * Baseline (b): a bare Hono handler that parses the same body and answers like the real one, driven by the
 * load `spec(url)` gives for its address.
 */
export async function bareHonoBaseline(
  load: (spec: LoadSpec) => Promise<LoadResult>,
  spec: (url: string) => LoadSpec,
): Promise<{ result: LoadResult; busy: { busyCores: number; seconds: number }; rate: number }> {
  const bare = new Hono();
  bare.post("/v1/feeds/:sourceId/warnings", async (c) => {
    const value = JSON.parse(await c.req.text()) as { warnings: unknown[] };
    return c.json(
      { results: value.warnings.map((_, index) => ({ index, status: "accepted", alertId: `alr_${index}` })) },
      202,
    );
  });
  const bareServer = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => bareServer.once("listening", resolve));
  const barePort = (bareServer.address() as AddressInfo).port;
  const bareCpu = machineCpu();
  const bareResult = await load(spec(`http://127.0.0.1:${barePort}/v1/feeds/src_bare/warnings`));
  const bareBusy = bareCpu();
  const bareRate = bareResult.accepted / (bareResult.elapsedMs / 1000);
  await new Promise<void>((resolve) => bareServer.close(() => resolve()));
  return { result: bareResult, busy: bareBusy, rate: bareRate };
}

/**
 * Baseline (a): bare batched INSERTs of the same rows (warning + alert + push job per warning), one
 * transaction per batch of `batch`, `concurrency` at once, same driver, fresh migrated database
 * (af_bench_base, or a PGlite directory under `scratch`; the caller drops it). Everything the application
 * computes (normalised phone, ciphertext, hash, ids) is computed before the clock starts.
 */
export async function bareInsertBaseline(options: {
  adminUrl: string | undefined;
  scratch: string;
  warnings: number;
  batch: number;
  concurrency: number;
}): Promise<{ ms: number; busy: { busyCores: number; seconds: number }; rate: number }> {
  const { adminUrl, scratch, batch, concurrency } = options;
  const baseUrl = adminUrl ? await recreateDatabase(adminUrl, "af_bench_base") : undefined;
  const base = await openDatabase(baseUrl ? { url: baseUrl } : { dataDir: join(scratch, "base") });
  await migrateDatabase(base, baseUrl);
  const pii = createPii(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  await base.db.insert(stations).values({ id: "stn_base", name: "bench" });
  await base.db
    .insert(feedSources)
    .values({ id: "src_base", stationId: "stn_base", name: "bench", secretEnc: pii.encrypt("x") });
  const receivedAt = new Date();
  const batches = Array.from({ length: Math.ceil(options.warnings / batch) }, (_, b) =>
    Array.from({ length: batch }, (_, k) => {
      const w = aBenchWarning("base", b * batch + k) as {
        externalId: string;
        type: "call";
        fraudType: "other";
        riskLevel: "high";
        subject: { phone: string; name: string };
        area: { code: string; address: string };
        indicators: { kind: string; value: string }[];
        detectedAt: string;
        amountAtRisk: number;
      };
      const phone = normalizePhone(w.subject.phone) as string;
      const common = {
        type: w.type,
        fraudType: w.fraudType,
        riskLevel: w.riskLevel,
        subjectPhoneEnc: pii.encrypt(phone),
        subjectPhoneHash: pii.hash(phone),
        subjectNameEnc: pii.encrypt(w.subject.name),
        areaCode: w.area.code,
        areaAddress: w.area.address,
        amountAtRisk: w.amountAtRisk,
        receivedAt,
      };
      const alertId = newId("alert");
      return {
        warning: {
          ...common,
          id: newId("warning"),
          sourceId: "src_base",
          externalId: w.externalId,
          alertId,
          indicators: w.indicators,
          detectedAt: new Date(w.detectedAt),
        },
        alert: { ...common, id: alertId, stationId: "stn_base" },
        job: { queue: "alert-push", payload: { type: "alert.push", v: 1, alertId }, visibleAt: sql`now()` },
      };
    }),
  );
  let nextBatch = 0;
  const insertCpu = machineCpu();
  const insertStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nextBatch < batches.length && performance.now() - insertStarted < 45_000) {
        const rows = batches[nextBatch++] as (typeof batches)[number];
        await base.db.transaction(async (tx) => {
          await tx
            .insert(warnings)
            .values(rows.map((r) => r.warning))
            .onConflictDoNothing({ target: [warnings.sourceId, warnings.externalId] });
          await tx.insert(alerts).values(rows.map((r) => r.alert));
          await tx.insert(jobs).values(rows.map((r) => r.job));
        });
      }
    }),
  );
  const insertMs = performance.now() - insertStarted;
  const insertBusy = insertCpu();
  const insertRate = (await countLike(base.db, "base")) / (insertMs / 1000);
  await base.close();
  return { ms: insertMs, busy: insertBusy, rate: insertRate };
}
