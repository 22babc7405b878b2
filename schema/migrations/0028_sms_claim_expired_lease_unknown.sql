-- The SMS claim (af_claim_sms, 0027) takes a message whose lease ran out as if it were never sent. Every way
-- out of a send gives the lease up (submitted, failed, retried, held, put back, released), so a lease that runs
-- out means its sender stopped between the claim and recording the outcome: killed, timed out (a Lambda), or
-- stalled past the lease, possibly after the provider accepted the SMS. The local runtime's take-over marks
-- such a message outcome unknown when it finds the sender dead (src/queue/worker-registry.ts); the cloud has no
-- take-over, and re-sent it, which texts the person twice if the first one went out.
--
-- Now the claim itself marks it, in both runtimes: hold_reason 'outcome_unknown' and an event saying why. The
-- sender then sends again only where that cannot make a second SMS (src/sms/dispatch/send.ts: the channel
-- de-duplicates by our id, or is asked first); otherwise it is recorded as submitted and not re-sent.
--
-- `expired` reads the leases before the update takes its row locks: it names the rows whose old lease ran out,
-- which the update's RETURNING (new values only) cannot. Its lookup is by primary key, like the update's.
CREATE OR REPLACE FUNCTION af_claim_sms(claim_ids text, lease_seconds float8, holder text, due timestamptz,
                                        usage_day date)
RETURNS SETOF sms_messages
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
BEGIN
  RETURN QUERY
  WITH expired AS (
    SELECT e.id FROM sms_messages e
    WHERE e.id = any(string_to_array(claim_ids, ',')) AND e.lease_until < now()
  ),
  c AS (
    UPDATE sms_messages m
    SET lease_until = now() + make_interval(secs => lease_seconds), lease_holder = holder,
        hold_reason = CASE WHEN m.lease_until IS NOT NULL THEN 'outcome_unknown' ELSE m.hold_reason END
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
  ),
  unknown AS (
    INSERT INTO sms_events (message_id, status, detail)
    SELECT c.id, 'queued', 'its lease ran out with no outcome recorded: its sender stopped; outcome unknown'
    FROM c JOIN expired USING (id)
    WHERE c.hold_reason = 'outcome_unknown'
  )
  SELECT * FROM c;
END;
$$;
