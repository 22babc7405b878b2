CREATE TABLE "escalation_policies" (
	"station_id" text NOT NULL,
	"risk_level" text NOT NULL,
	"steps" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "escalation_policies_station_id_risk_level_pk" PRIMARY KEY("station_id","risk_level")
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "escalation_step" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "escalation_level" text;--> statement-breakpoint
ALTER TABLE "escalation_policies" ADD CONSTRAINT "escalation_policies_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "escalation_policies" ADD CONSTRAINT "escalation_policies_updated_by_officers_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Alerts escalated before chains existed and still waiting on the deadline the sweeper set (always after the
-- escalation) are mid-chain at its first step: their next round is a reminder, as it would have been.
UPDATE "alerts" SET "escalation_step" = 1, "escalation_level" = "risk_level"
  WHERE "escalated" AND "stage" IN ('received', 'pushed', 'acknowledged')
    AND "last_escalated_at" IS NOT NULL AND "deadline_at" > "last_escalated_at";
