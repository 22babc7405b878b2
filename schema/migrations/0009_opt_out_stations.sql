ALTER TABLE "opt_outs" ADD COLUMN "station_id" text;--> statement-breakpoint
ALTER TABLE "opt_outs" ADD COLUMN "partner_id" text;--> statement-breakpoint
-- Existing opt-outs: the station that recorded them, as the new code would have stored it.
UPDATE "opt_outs" o SET "station_id" = f."station_id" FROM "officers" f WHERE o."source" = 'admin' AND f."id" = o."created_by";--> statement-breakpoint
UPDATE "opt_outs" o SET "station_id" = p."station_id", "partner_id" = p."id" FROM "partners" p WHERE o."source" = 'inbound' AND p."id" = o."created_by";--> statement-breakpoint
UPDATE "opt_outs" o SET "station_id" = (SELECT coalesce(p."station_id", a."station_id") FROM "sms_messages" m LEFT JOIN "partners" p ON p."id" = m."partner_id" LEFT JOIN "alerts" a ON a."id" = m."alert_id" WHERE m."recipient_hash" = o."recipient_hash" AND (p."id" IS NOT NULL OR a."id" IS NOT NULL) ORDER BY m."created_at" DESC LIMIT 1) WHERE o."source" = 'inbound' AND o."created_by" = 'provider';--> statement-breakpoint
CREATE INDEX "parcel_events_attached_recipient_idx" ON "parcel_events" USING btree ("recipient_hash","partner_id") WHERE "parcel_events"."decision" = 'attached';--> statement-breakpoint
CREATE INDEX "opt_outs_station_idx" ON "opt_outs" USING btree ("station_id","created_at");--> statement-breakpoint
CREATE INDEX "sms_messages_recipient_idx" ON "sms_messages" USING btree ("recipient_hash","partner_id");