import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { feedSources, stations } from "../../schema";
import { migrateDatabase } from "../../src/db/migrate";
import { openDatabase } from "../../src/db/open";
import { newId } from "../../src/ids";
import { normalizePhone } from "../../src/privacy/phone";
import { createPii } from "../../src/privacy/pii";
import { PgTableQueue } from "../../src/queue/pg-queue";
import { aBenchWarning, type LoadResult, type LoadSpec } from "../load";
import { benchDatabase, recreateDatabase } from "./databases";
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
 * Baseline (a): the same rows (warning + alert + push job per warning) written with the same three statements
 * intake runs (src/alerts/intake.ts: warnings and alerts as one jsonb parameter each, expanded by
 * jsonb_to_recordset, and the queue's own publish statement), one transaction per batch of
 * `batch`, `concurrency` at once, same driver, fresh migrated database (af_bench_base + BENCH_DB_SUFFIX, or a
 * PGlite directory under `scratch`; the caller drops it). What intake adds around them (validation, the
 * subject locks and repeat lookup, HTTP) is left out, and everything it computes (normalised phone,
 * ciphertext, hash, ids, the rows' JSON) is computed before the clock starts: the floor for that write path.
 * (It used to insert 100-row VALUES lists through drizzle, which intake gave up because they cost more; a
 * floor slower than the runtime's own statements flattered the ratio.)
 */
export async function bareInsertBaseline(options: {
  adminUrl: string | undefined;
  scratch: string;
  warnings: number;
  batch: number;
  concurrency: number;
}): Promise<{ ms: number; busy: { busyCores: number; seconds: number }; rate: number }> {
  const { adminUrl, scratch, batch, concurrency } = options;
  const baseName = benchDatabase("af_bench_base");
  const baseUrl = adminUrl ? await recreateDatabase(adminUrl, baseName) : undefined;
  const base = await openDatabase(baseUrl ? { url: baseUrl } : { dataDir: join(scratch, "base") });
  await migrateDatabase(base, baseUrl);
  const queue = new PgTableQueue(base);
  const pii = createPii(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  await base.db.insert(stations).values({ id: "stn_base", name: "bench" });
  await base.db
    .insert(feedSources)
    .values({ id: "src_base", stationId: "stn_base", name: "bench", secretEnc: pii.encrypt("x") });
  const receivedAt = new Date().toISOString();
  const batches = Array.from({ length: Math.ceil(options.warnings / batch) }, (_, b) => {
    const rows = Array.from({ length: batch }, (_, k) => {
      const w = aBenchWarning("base", b * batch + k) as {
        externalId: string;
        type: string;
        fraudType: string;
        riskLevel: string;
        subject: { phone: string; name: string };
        area: { code: string; address: string };
        indicators: { kind: string; value: string }[];
        detectedAt: string;
        amountAtRisk: number;
      };
      const phone = normalizePhone(w.subject.phone) as string;
      const common = {
        type: w.type,
        fraud_type: w.fraudType,
        risk_level: w.riskLevel,
        subject_phone_enc: pii.encrypt(phone),
        subject_phone_hash: pii.hash(phone),
        subject_name_enc: pii.encrypt(w.subject.name),
        area_code: w.area.code,
        area_address: w.area.address,
        amount_at_risk: w.amountAtRisk,
      };
      const alertId = newId("alert");
      return {
        warning: {
          ...common,
          id: newId("warning"),
          external_id: w.externalId,
          alert_id: alertId,
          indicators: w.indicators,
          detected_at: new Date(w.detectedAt).toISOString(),
        },
        alert: { ...common, id: alertId },
        job: {
          queue: "alert-push" as const,
          message: { type: "alert.push" as const, v: 1 as const, alertId },
        },
      };
    });
    return {
      warnings: JSON.stringify(rows.map((r) => r.warning)),
      alerts: JSON.stringify(rows.map((r) => r.alert)),
      jobs: rows.map((r) => r.job),
    };
  });
  let nextBatch = 0;
  const insertCpu = machineCpu();
  const insertStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (nextBatch < batches.length && performance.now() - insertStarted < 45_000) {
        const rows = batches[nextBatch++] as (typeof batches)[number];
        await base.db.transaction(async (tx) => {
          // The statements of src/alerts/intake.ts, text for text (intake's `returning` included).
          await tx.execute(
            sql`insert into warnings (id, source_id, external_id, alert_id, type, fraud_type, risk_level,
                                    subject_phone_enc, subject_phone_hash, subject_name_enc, area_code, area_address,
                                    indicators, amount_at_risk, detected_at, received_at)
              select id, ${"src_base"}, external_id, alert_id, type, fraud_type, risk_level,
                     subject_phone_enc, subject_phone_hash, subject_name_enc, area_code, area_address,
                     indicators, amount_at_risk, detected_at, ${receivedAt}::timestamptz
              from jsonb_to_recordset(${rows.warnings}::jsonb) as r(id text, external_id text, alert_id text,
                    type text, fraud_type text, risk_level text, subject_phone_enc text, subject_phone_hash text,
                    subject_name_enc text, area_code text, area_address text, indicators jsonb,
                    amount_at_risk bigint, detected_at timestamptz)
              on conflict (source_id, external_id) do nothing
              returning external_id`,
          );
          await tx.execute(
            sql`insert into alerts (id, station_id, type, fraud_type, risk_level, subject_phone_enc,
                                  subject_phone_hash, subject_name_enc, area_code, area_address, amount_at_risk,
                                  received_at)
              select id, ${"stn_base"}, type, fraud_type, risk_level, subject_phone_enc, subject_phone_hash,
                     subject_name_enc, area_code, area_address, amount_at_risk, ${receivedAt}::timestamptz
              from jsonb_to_recordset(${rows.alerts}::jsonb) as r(id text, type text, fraud_type text,
                    risk_level text, subject_phone_enc text, subject_phone_hash text, subject_name_enc text,
                    area_code text, area_address text, amount_at_risk bigint)`,
          );
          // The queue's own publish, as transact does it for intake (its NOTIFY follows the commit since issue 19).
          await queue.publish(rows.jobs, tx);
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
