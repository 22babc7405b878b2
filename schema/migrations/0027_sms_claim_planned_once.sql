-- The SMS claim (src/sms/dispatch/message-store.ts: claim), as a function for the reason the job claim is one
-- (0026): its plan is kept. Sent with `af_ids` (0024) it was planned for its ids on every run, 792 times
-- during the 10:00 release of 20,000 reminders (pg_stat_statements, bench:sms), and once on the way of every
-- victim warning to the provider, right after the job's claim.
--
-- Why a kept plan is safe here: the messages are looked up by primary key, and sequential scans are off inside
-- the function, so a plan made while sms_messages was small is the one made on a large table. The test for
-- "still queued" is written `(status = 'queued') IS TRUE` for the reason message-store.ts's STILL_QUEUED gives:
-- it cannot match the partial index of queued messages, which a plan would otherwise scan whole.
-- `claim_ids` is the message ids, comma-separated; urgent messages count toward their number's daily cap on
-- `usage_day` in the same statement, the counters taken in key order, as admitBulkMany takes them, so that
-- the two never deadlock.
CREATE OR REPLACE FUNCTION af_claim_sms(claim_ids text, lease_seconds float8, holder text, due timestamptz,
                                        usage_day date)
RETURNS SETOF sms_messages
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY
  WITH c AS (
    UPDATE sms_messages m
    SET lease_until = now() + make_interval(secs => lease_seconds), lease_holder = holder
    WHERE m.id = any(string_to_array(claim_ids, ',')) AND (m.status = 'queued') IS TRUE
      AND (m.lease_until IS NULL OR m.lease_until < now())
      AND (m.not_before IS NULL OR m.not_before <= due)
    RETURNING m.*
  ),
  counted AS (
    INSERT INTO daily_usage (key, day, count)
    SELECT 'num:' || c.channel || ':' || c.recipient_hash, usage_day, count(*) FROM c
    WHERE c.lane = 'urgent'
    GROUP BY 1
    ORDER BY 1
    ON CONFLICT (key, day) DO UPDATE SET count = daily_usage.count + excluded.count
  )
  SELECT * FROM c;
END;
$$;
