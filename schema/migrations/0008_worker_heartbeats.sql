CREATE TABLE "queue_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "sms_messages" ADD COLUMN "lease_holder" text;--> statement-breakpoint
CREATE INDEX "jobs_claimed_by_idx" ON "jobs" USING btree ("claimed_by") WHERE "jobs"."claimed_by" is not null;