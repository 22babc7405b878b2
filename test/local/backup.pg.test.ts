import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { alerts, smsMessages } from "../../schema";
import { openDatabase } from "../../src/db/open";
import { backupDatabase, RestoreRefused, restoreDatabase } from "../../src/local/backup";
import { createPii } from "../../src/privacy/pii";
import { createTestContext, TEST_KEYS } from "../support/context";
import { emptyPostgresDatabase } from "../support/db";
import { aWarning } from "../support/fixture";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const pii = createPii(TEST_KEYS.encryptionKey, TEST_KEYS.hashKey);

/** What an officer would read back: each alert's subject and the recipients of its SMS, decrypted. */
async function readBack(url: string) {
  const database = await openDatabase({ url, max: 1 });
  cleanups.push(() => database.close());
  const rows = await database.db.select().from(alerts).orderBy(asc(alerts.id));
  const sms = await database.db.select().from(smsMessages).orderBy(asc(smsMessages.id));
  return {
    alerts: rows.map((a) => ({ id: a.id, stage: a.stage, phone: pii.decrypt(a.subjectPhoneEnc as string) })),
    sms: sms.map((m) => ({
      id: m.id,
      status: m.status,
      to: m.recipientEnc ? pii.decrypt(m.recipientEnc) : null,
    })),
  };
}

/** Issue 15: `npm run backup` then `npm run restore` into a new database gives the station back, readable. */
describe("backup and restore", () => {
  it("restores a station's alerts and SMS into a new database, phone numbers readable with the same keys", async () => {
    const ctx = await createTestContext();
    const phones = ["+8613800138001", "+8613900139002"];
    const posted = await ctx.postWarnings({
      warnings: phones.map((phone) => aWarning({ subject: { phone } })),
    });
    expect(posted.status).toBe(202);
    await ctx.drain();
    const before = await readBack(ctx.url as string);
    expect(before.alerts.map((a) => a.phone).sort()).toEqual(phones);
    expect(before.sms.map((m) => m.to)).toEqual(expect.arrayContaining(phones));
    const directory = mkdtempSync(join(tmpdir(), "af-backup-"));
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));

    const file = await backupDatabase(ctx.url as string, directory, new Date("2026-12-03T06:15:00Z"));
    const target = await emptyPostgresDatabase("restore");
    cleanups.push(target.drop);
    await restoreDatabase(file, target.url);

    expect(file).toMatch(/antifraud-20261203-061500\.dump$/);
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(await readBack(target.url)).toEqual(before);
  });

  it("refuses to restore over a database that has the schema already", async () => {
    const ctx = await createTestContext();
    const directory = mkdtempSync(join(tmpdir(), "af-backup-"));
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
    const file = await backupDatabase(ctx.url as string, directory, new Date());

    await expect(restoreDatabase(file, ctx.url as string)).rejects.toBeInstanceOf(RestoreRefused);
  });
});
