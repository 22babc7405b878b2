-- The submit write (src/sms/dispatch/message-store.ts: writeSubmits), one statement per batch of submits
-- coming back from the provider, as a function for the reason af_rate_take is one (0021): its plan is kept.
-- Sent with `af_ids` (0024) it was planned for its values on every run, 0.18 ms of planning against 0.32 ms
-- of running: during the 10:00 release of 20,000 reminders it ran 16,446 times, PostgreSQL's largest item
-- (2.9 s planning, 5.3 s running; pg_stat_statements, bench:sms).
--
-- Why a kept plan is safe here: the messages are looked up by key, and sequential scans are off inside the
-- function. A plan kept from a moment when sms_messages was small would otherwise scan it whole for as long
-- as the connection lives (the reason af_ids exists); with them off, the plan made on an empty table is the
-- one made on a large one: the primary key for `id = any(ids)`, then the batch joined by id.
CREATE OR REPLACE FUNCTION af_write_submits(submits jsonb) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  ids text[] := array(SELECT e->>'id' FROM jsonb_array_elements(submits) AS e);
BEGIN
  WITH s AS (
    SELECT * FROM jsonb_to_recordset(submits)
      AS s(id text, "providerMessageId" text, "submittedAt" timestamptz, detail text)
  ),
  u AS (
    UPDATE sms_messages m
    SET status = 'submitted', lease_until = null, provider_message_id = s."providerMessageId",
        submitted_at = s."submittedAt", hold_reason = null, attempts = m.attempts + 1, last_error = null
    FROM s
    WHERE m.id = s.id AND m.id = any(ids) AND (m.status = 'queued') IS TRUE
    RETURNING m.id, s.detail
  )
  INSERT INTO sms_events (message_id, status, detail) SELECT id, 'submitted', detail FROM u;
END;
$$;
