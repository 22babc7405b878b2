import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../support/context";
import {
  gatewayEnv,
  history,
  message,
  migrateOnceBeforeAll,
  queueTestSms,
  releaseDelayedSmsJobs,
} from "../support/sms";
import {
  accepted,
  gatewayWithLookup,
  PHONE,
  sendOne,
  simulatedGateway,
  status,
} from "../support/sms-gateway";

/**
 * A send gives its lease up on every way out (submitted, failed, retried, held, put back, released), so a
 * lease that runs out means its sender stopped between the claim and the record, possibly after the provider
 * took the SMS. Both runtimes then treat the SMS as outcome unknown (af_claim_sms, migration 0028).
 */

migrateOnceBeforeAll();

const gateway = simulatedGateway();

/**
 * Makes the database refuse the first `times` inserts into `table` (those matching `when`), as a connection
 * lost mid-write would. The sequence counts outside the aborted transactions. Returns the undo: the trigger
 * must go before the harness takes the database back for the next test.
 */
async function failFirstInserts(
  ctx: TestContext,
  table: "sms_events" | "daily_usage",
  options: { when?: string; times?: number } = {},
): Promise<() => Promise<void>> {
  const { db } = ctx.deps;
  await db.execute(sql`create sequence test_fail_first`);
  await db.execute(
    sql.raw(`create function test_fail_first() returns trigger language plpgsql as $$
      begin
        if nextval('test_fail_first') <= ${options.times ?? 1} then
          raise exception 'connection lost (simulated)';
        end if;
        return new;
      end $$`),
  );
  await db.execute(
    sql.raw(`create trigger test_fail_first before insert on ${table} for each row
             ${options.when ? `when (${options.when})` : ""} execute function test_fail_first()`),
  );
  return async () => {
    await db.execute(sql.raw(`drop trigger if exists test_fail_first on ${table}`));
    await db.execute(sql`drop function if exists test_fail_first()`);
    await db.execute(sql`drop sequence if exists test_fail_first`);
  };
}

/** What a sender's lease looks like once it has run out: the lease uses the database's clock. */
async function leaseRunsOut(ctx: TestContext, id: string) {
  await ctx.deps.db.execute(
    sql`update sms_messages set lease_until = now() - interval '1 second' where id = ${id}`,
  );
}

describe("a sender that stops between the provider and the record", () => {
  it("a submit whose record fails for a moment is recorded on a try again, with the provider's id", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gateway.answering(accepted("gw-1"));
    const undo = await failFirstInserts(ctx, "sms_events", { when: "new.status = 'submitted'", times: 2 });
    try {
      const id = await sendOne(ctx);

      expect(sent).toHaveLength(1);
      expect(await message(ctx, id)).toMatchObject({
        status: "submitted",
        providerMessageId: "gw-1",
        leaseUntil: null,
      });
    } finally {
      await undo();
    }
  });

  it("a submit whose record fails after the gateway took it is never sent again, even once the lease runs out", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() }); // no lookup, no de-duplication: like SNS
    const sent = gateway.answering(accepted("gw-1"));
    // The record and its three tries again all fail.
    const undo = await failFirstInserts(ctx, "sms_events", { when: "new.status = 'submitted'", times: 4 });
    try {
      const id = await sendOne(ctx);
      expect(sent).toHaveLength(1);
      // The lease is kept: the queue's retry finds the message still someone's, and sends nothing.
      expect(await message(ctx, id)).toMatchObject({ status: "queued", holdReason: null });
      expect((await message(ctx, id)).leaseUntil).not.toBeNull();
      await releaseDelayedSmsJobs(ctx);
      await ctx.drain();
      expect(sent).toHaveLength(1);

      await leaseRunsOut(ctx, id);
      await releaseDelayedSmsJobs(ctx);
      await ctx.drain();

      expect(sent).toHaveLength(1);
      expect(await message(ctx, id)).toMatchObject({ status: "submitted", providerMessageId: null });
      expect((await history(ctx, id)).map((e) => e.detail)).toEqual([
        null,
        "its lease ran out with no outcome recorded: its sender stopped; outcome unknown",
        "outcome unknown; cannot be checked, not re-sent",
      ]);
    } finally {
      await undo();
    }
  });

  it("a lease left by a sender that died (a Lambda timed out) is taken as outcome unknown: the gateway is asked first", async () => {
    const ctx = await createTestContext({ env: gatewayEnv(gatewayWithLookup()) });
    const sent = gateway.answering(accepted("gw-new"));
    const lookups = gateway.lookups(() => "gw-first");
    const [id] = (await queueTestSms(ctx, [{ to: PHONE }])) as [string];
    // The first sender claimed it, called the gateway, and was stopped before it recorded anything.
    await ctx.deps.db.execute(
      sql`update sms_messages set lease_until = now() - interval '1 second', lease_holder = 'sender-gone'
          where id = ${id}`,
    );

    await ctx.drain();

    expect(lookups).toEqual([id]);
    expect(sent).toEqual([]);
    expect(await message(ctx, id)).toMatchObject({ status: "submitted", providerMessageId: "gw-first" });
  });

  it("a refusal whose retry cannot be recorded gives the lease up: the retry sends it, not taken as outcome unknown", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() }); // no lookup, no de-duplication: like SNS
    const sent = gateway.answering(status(503), accepted("gw-2"));
    // The retry's event (its first attempt failed) cannot be written.
    const undo = await failFirstInserts(ctx, "sms_events", {
      when: "new.status = 'queued' and new.detail is not null",
    });
    try {
      const id = await sendOne(ctx);
      expect(sent).toHaveLength(1);
      expect(await message(ctx, id)).toMatchObject({ status: "queued", leaseUntil: null });

      await releaseDelayedSmsJobs(ctx);
      await ctx.drain();

      expect(sent).toHaveLength(2);
      expect(await message(ctx, id)).toMatchObject({ status: "submitted", providerMessageId: "gw-2" });
    } finally {
      await undo();
    }
  });

  it("a reminder whose admission fails gives its lease up: the retry sends it once, not as outcome unknown", async () => {
    const ctx = await createTestContext({ env: gatewayEnv() });
    const sent = gateway.answering(accepted("gw-1"));
    // The batch's admission and the one-by-one admission after it both fail.
    const undo = await failFirstInserts(ctx, "daily_usage", { times: 2 });
    try {
      const id = await sendOne(ctx, "bulk");
      expect(sent).toEqual([]);
      expect(await message(ctx, id)).toMatchObject({ status: "queued", leaseUntil: null });

      await releaseDelayedSmsJobs(ctx);
      await ctx.drain();

      expect(sent).toHaveLength(1);
      expect(await message(ctx, id)).toMatchObject({ status: "submitted", holdReason: null });
      expect((await history(ctx, id)).map((e) => e.status)).toEqual(["queued", "submitted"]);
    } finally {
      await undo();
    }
  });
});
