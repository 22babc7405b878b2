ALTER TABLE "alerts" ALTER COLUMN "subject_phone_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ALTER COLUMN "subject_phone_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "warnings" ALTER COLUMN "subject_phone_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "warnings" ALTER COLUMN "subject_phone_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "parcel_events" ALTER COLUMN "recipient_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "parcel_events" ALTER COLUMN "recipient_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sms_messages" ALTER COLUMN "recipient_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sms_messages" ALTER COLUMN "recipient_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sms_messages" ALTER COLUMN "body" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "personal_data_purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "parcel_events" ADD COLUMN "personal_data_purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "personal_data_purged_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "alerts_unpurged_idx" ON "alerts" USING btree ("verified_at") WHERE "alerts"."personal_data_purged_at" is null;--> statement-breakpoint
CREATE INDEX "parcel_events_unpurged_idx" ON "parcel_events" USING btree ("received_at") WHERE "parcel_events"."personal_data_purged_at" is null;--> statement-breakpoint
CREATE INDEX "reminder_reservations_reserved_idx" ON "reminder_reservations" USING btree ("reserved_at");--> statement-breakpoint
CREATE INDEX "daily_usage_day_idx" ON "daily_usage" USING btree ("day");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "sms_messages_unpurged_idx" ON "sms_messages" USING btree ("created_at") WHERE "sms_messages"."personal_data_purged_at" is null;