-- The audit log and alert timelines are evidence: refuse UPDATE and DELETE on them at the database,
-- so no code path (or hurried operator) can rewrite who did what. Retention purges personal fields
-- elsewhere; these rows hold ids, actions and times.
CREATE OR REPLACE FUNCTION af_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION af_refuse_change();
--> statement-breakpoint
CREATE TRIGGER alert_events_append_only BEFORE UPDATE OR DELETE ON alert_events
  FOR EACH ROW EXECUTE FUNCTION af_refuse_change();
