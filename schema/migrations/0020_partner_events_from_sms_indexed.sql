-- af_partner_events_from_sms again (0017, 0018): its plan kept for the connection's life, as in 0017, but a
-- plan that finds each message and its parcel event by primary key whatever the tables' sizes when it was made.
-- 0018 planned the query on every call (EXECUTE) to escape 0017's stale plan (a sequential scan of
-- sms_messages, chosen while the table was small and kept as it grew). Planning it cost about half a
-- millisecond on every insert into sms_events: every SMS queued, submitted and receipted, victim warnings and
-- officer pages included, the largest planning item of bench:intake at 500 warnings/s (pg_stat_statements
-- with track = all: 0.52 ms a call, 930 ms in a 20-second run).
-- Now each new event looks up its message and parcel event in a LATERAL subquery that OFFSET 0 keeps from
-- being flattened into a join, so it runs once per event; with sequential scans off while the function runs,
-- that lookup is an index scan even in a plan made while the tables were empty. (A plain join, planned on
-- empty tables, drove from sms_messages and scanned every parcel reminder.) JIT is off: it never pays for a
-- statement of a few hundred rows, and a disabled path's cost could otherwise trigger it. A statement that
-- only queues SMS (status 'queued', never a partner event) returns before the insert.
CREATE OR REPLACE FUNCTION af_partner_events_from_sms() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET jit = off AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status <> 'queued') THEN
    RETURN NULL;
  END IF;
  INSERT INTO partner_message_events (partner_id, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at)
  SELECT r.partner_id, r.parcel_event_id, r.waybill_no, r.kind, r.message_id, e.status, e.detail, r.test, e.at
  FROM new_rows e
  CROSS JOIN LATERAL (
    SELECT p.partner_id, p.id AS parcel_event_id, p.waybill_no, p.kind, m.id AS message_id, m.test
    FROM sms_messages m
    JOIN parcel_events p ON p.id = split_part(m.idempotency_key, ':', 2)
    WHERE m.id = e.message_id AND m.purpose = 'parcel_reminder' AND m.partner_id IS NOT NULL
    OFFSET 0
  ) r
  WHERE e.status <> 'queued'
  ORDER BY e.id;
  RETURN NULL;
END;
$$;
