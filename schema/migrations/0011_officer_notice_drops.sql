ALTER TABLE "officer_notices" ADD COLUMN "post_id" text;--> statement-breakpoint
ALTER TABLE "officer_notices" ADD COLUMN "dropped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "officer_notices" ADD COLUMN "drop_reason" text;