-- af_partner_events_from_sms (0017) again, its query now planned on every call (EXECUTE) instead of once per
-- connection. PL/pgSQL keeps the plan it made at a connection's first SMS status change; on a fresh database
-- that plan was made while sms_messages held a handful of rows and joined the changed rows to it with a
-- sequential scan, which it then repeated for every changed row of every later statement. In bench:sms the
-- submit write of a batch of reminders took 150-500 ms instead of a few, and the whole engine slowed down
-- with it. Planned per call it looks each message up by its primary key, at any table size; planning costs
-- well under a millisecond per statement, and the statement covers a whole batch.
CREATE OR REPLACE FUNCTION af_partner_events_from_sms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE $q$
  INSERT INTO partner_message_events (partner_id, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at)
  SELECT p.partner_id, p.id, p.waybill_no, p.kind, m.id, e.status, e.detail, m.test, e.at
  FROM new_rows e
  JOIN sms_messages m ON m.id = e.message_id
  JOIN parcel_events p ON p.id = split_part(m.idempotency_key, ':', 2)
  WHERE e.status <> 'queued' AND m.purpose = 'parcel_reminder' AND m.partner_id IS NOT NULL
  ORDER BY e.id
  $q$;
  RETURN NULL;
END;
$$;
