CREATE TABLE "partner_callbacks" (
	"partner_id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret_enc" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"cursor_txid" bigint DEFAULT 0 NOT NULL,
	"cursor_id" bigint DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"dead_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_message_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"txid" bigint DEFAULT (pg_current_xact_id()::text)::bigint NOT NULL,
	"partner_id" text NOT NULL,
	"parcel_event_id" text NOT NULL,
	"waybill_no" text NOT NULL,
	"kind" text NOT NULL,
	"message_id" text,
	"status" text NOT NULL,
	"reason" text,
	"test" boolean DEFAULT false NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "parcel_events_partner_waybill_kind_uq";--> statement-breakpoint
ALTER TABLE "partner_api_keys" ADD COLUMN "mode" text DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE "parcel_events" ADD COLUMN "test" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "reminder_reservations" ADD COLUMN "test" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "test" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "partner_callbacks" ADD CONSTRAINT "partner_callbacks_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "partner_message_events_partner_idx" ON "partner_message_events" USING btree ("partner_id","txid","id");--> statement-breakpoint
CREATE UNIQUE INDEX "parcel_events_partner_waybill_kind_uq" ON "parcel_events" USING btree ("partner_id","waybill_no","kind","test");--> statement-breakpoint
-- Partners' message events are written by the database, in the transaction that changes a reminder's status,
-- whichever code path does it (intake, release, send, failure policy, receipts, expiry, worker take-over):
-- none can forget to, and none needs to know the partner-callbacks room exists. Statement-level triggers with
-- transition tables: one insert per statement, however many rows it changed (bulk sends change hundreds).
CREATE OR REPLACE FUNCTION af_partner_events_from_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO partner_message_events (partner_id, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at)
    SELECT n.partner_id, n.id, n.waybill_no, n.kind, n.message_id, n.decision,
           CASE WHEN n.decision = 'deferred' THEN coalesce(n.reason, 'quiet_hours') ELSE n.reason END,
           n.test, n.received_at
    FROM new_rows n ORDER BY n.id;
  ELSE
    -- A deferred reminder released (scheduled) or suppressed overnight; other updates (the purge) change no decision.
    INSERT INTO partner_message_events (partner_id, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at)
    SELECT n.partner_id, n.id, n.waybill_no, n.kind, n.message_id, n.decision,
           CASE WHEN n.decision = 'suppressed' THEN n.reason END, n.test, now()
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.decision IS DISTINCT FROM n.decision ORDER BY n.id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER parcel_events_partner_events_insert AFTER INSERT ON parcel_events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION af_partner_events_from_decisions();
--> statement-breakpoint
CREATE TRIGGER parcel_events_partner_events_update AFTER UPDATE ON parcel_events
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION af_partner_events_from_decisions();
--> statement-breakpoint
-- A reminder's SMS: its key is parcel_reminder:<parcel event id>:<recipient hash> (src/parcels/intake.ts,
-- release.ts), which finds the parcel event by primary key. 'queued' is the decision's 'scheduled' already;
-- a retry or a hold stays 'queued' and is no change a partner sees.
CREATE OR REPLACE FUNCTION af_partner_events_from_sms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO partner_message_events (partner_id, parcel_event_id, waybill_no, kind, message_id, status, reason, test, at)
  SELECT p.partner_id, p.id, p.waybill_no, p.kind, m.id, e.status, e.detail, m.test, e.at
  FROM new_rows e
  JOIN sms_messages m ON m.id = e.message_id
  JOIN parcel_events p ON p.id = split_part(m.idempotency_key, ':', 2)
  WHERE e.status <> 'queued' AND m.purpose = 'parcel_reminder' AND m.partner_id IS NOT NULL
  ORDER BY e.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER sms_events_partner_events AFTER INSERT ON sms_events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION af_partner_events_from_sms();
