-- Intake looks each subject's newest open alert up at a station by (subject, station, received_at) (src/alerts/repeats.ts).
DROP INDEX "alerts_subject_idx";--> statement-breakpoint
CREATE INDEX "alerts_subject_idx" ON "alerts" USING btree ("subject_phone_hash","station_id","received_at");