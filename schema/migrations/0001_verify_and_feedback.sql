CREATE TABLE "alert_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" text NOT NULL,
	"kind" text NOT NULL,
	"officer_id" text,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contact_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"alert_id" text NOT NULL,
	"officer_id" text NOT NULL,
	"channel" text NOT NULL,
	"reached" boolean NOT NULL,
	"note" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback_events" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"alert_id" text NOT NULL,
	"source_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"dead_at" timestamp with time zone,
	CONSTRAINT "feedback_events_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
CREATE TABLE "officer_notices" (
	"officer_id" text NOT NULL,
	"alert_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"message_id" text
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"station_id" text NOT NULL,
	"officer_id" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"reason" text,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_failure_at" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "acknowledged_by" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "outcome_note" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "verified_by" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "amount_protected" bigint;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "amount_lost" bigint;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "visit_required" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "deadline_kind" text;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "escalated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "escalation_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "last_escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "last_victim_warning_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "last_victim_warning_risk" text;--> statement-breakpoint
ALTER TABLE "officers" ADD COLUMN "last_notified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contact_attempts" ADD CONSTRAINT "contact_attempts_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contact_attempts" ADD CONSTRAINT "contact_attempts_officer_id_officers_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback_events" ADD CONSTRAINT "feedback_events_source_id_feed_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."feed_sources"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "officer_notices" ADD CONSTRAINT "officer_notices_officer_id_officers_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "officer_notices" ADD CONSTRAINT "officer_notices_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alert_events_alert_idx" ON "alert_events" USING btree ("alert_id","id");--> statement-breakpoint
CREATE INDEX "contact_attempts_alert_idx" ON "contact_attempts" USING btree ("alert_id");--> statement-breakpoint
CREATE UNIQUE INDEX "feedback_events_alert_source_uq" ON "feedback_events" USING btree ("alert_id","source_id");--> statement-breakpoint
CREATE INDEX "feedback_events_status_idx" ON "feedback_events" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "feedback_events_source_seq_idx" ON "feedback_events" USING btree ("source_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "officer_notices_uq" ON "officer_notices" USING btree ("officer_id","alert_id");--> statement-breakpoint
CREATE INDEX "officer_notices_pending_idx" ON "officer_notices" USING btree ("officer_id","message_id");--> statement-breakpoint
CREATE INDEX "audit_log_station_at_idx" ON "audit_log" USING btree ("station_id","at");--> statement-breakpoint
CREATE INDEX "alerts_deadline_idx" ON "alerts" USING btree ("deadline_at");