CREATE TABLE "template_signatures" (
	"station_id" text NOT NULL,
	"signature" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "template_signatures_station_id_signature_pk" PRIMARY KEY("station_id","signature")
);
--> statement-breakpoint
ALTER TABLE "template_signatures" ADD CONSTRAINT "template_signatures_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;