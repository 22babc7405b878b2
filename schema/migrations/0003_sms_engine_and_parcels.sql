CREATE TABLE "campaign_templates" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"body" text NOT NULL,
	"segments" integer NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"station_id" text NOT NULL,
	"name" text NOT NULL,
	"area_prefixes" jsonb NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "parcel_events" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"waybill_no" text NOT NULL,
	"kind" text NOT NULL,
	"recipient_enc" text NOT NULL,
	"recipient_hash" text NOT NULL,
	"area_code" text,
	"pickup_point" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"campaign_id" text,
	"template_id" text,
	"message_id" text,
	"deferred_until" timestamp with time zone,
	"text" text
);
--> statement-breakpoint
CREATE TABLE "reminder_reservations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"recipient_hash" text NOT NULL,
	"parcel_event_id" text NOT NULL,
	"reserved_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "daily_usage" (
	"key" text NOT NULL,
	"day" date NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "daily_usage_key_day_pk" PRIMARY KEY("key","day")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "opt_outs" (
	"recipient_hash" text PRIMARY KEY NOT NULL,
	"recipient_masked" text NOT NULL,
	"source" text NOT NULL,
	"keyword" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pending_receipts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"provider_message_id" text NOT NULL,
	"status" text NOT NULL,
	"detail" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"tat" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "sms_api" jsonb;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "webhook_secret_enc" text;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "partner_id" text;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "not_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "hold_reason" text;--> statement-breakpoint
ALTER TABLE "campaign_templates" ADD CONSTRAINT "campaign_templates_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "parcel_events" ADD CONSTRAINT "parcel_events_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaign_templates_campaign_idx" ON "campaign_templates" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "campaigns_station_idx" ON "campaigns" USING btree ("station_id");--> statement-breakpoint
CREATE UNIQUE INDEX "parcel_events_partner_waybill_kind_uq" ON "parcel_events" USING btree ("partner_id","waybill_no","kind");--> statement-breakpoint
CREATE INDEX "parcel_events_partner_received_idx" ON "parcel_events" USING btree ("partner_id","received_at");--> statement-breakpoint
CREATE INDEX "parcel_events_deferred_idx" ON "parcel_events" USING btree ("decision","deferred_until");--> statement-breakpoint
CREATE INDEX "reminder_reservations_recipient_idx" ON "reminder_reservations" USING btree ("recipient_hash","reserved_at");--> statement-breakpoint
CREATE UNIQUE INDEX "pending_receipts_uq" ON "pending_receipts" USING btree ("channel","provider_message_id","status");