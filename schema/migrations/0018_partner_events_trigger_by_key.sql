-- The trigger that records a partner's message events for every sms_events insert (0017) looks each event's
-- message up in sms_messages. PL/pgSQL plans that lookup once per connection and keeps the plan until the table
-- is analysed again: planned while sms_messages was small (a new station, a fresh database), the plan scanned
-- the whole table for every event statement of that connection's life, and every SMS sent writes one (issue 19,
-- found with auto_explain under bench:intake). Looking messages up by primary key is right at every size, so
-- the function is told not to plan a sequential scan.
ALTER FUNCTION af_partner_events_from_sms() SET enable_seqscan = off;
