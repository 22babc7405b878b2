CREATE TABLE "roster_assignments" (
	"shift_id" text NOT NULL,
	"officer_id" text NOT NULL,
	CONSTRAINT "roster_assignments_shift_id_officer_id_pk" PRIMARY KEY("shift_id","officer_id")
);
--> statement-breakpoint
CREATE TABLE "roster_overrides" (
	"id" text PRIMARY KEY NOT NULL,
	"station_id" text NOT NULL,
	"post_id" text NOT NULL,
	"officer_id" text NOT NULL,
	"kind" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roster_shifts" (
	"id" text PRIMARY KEY NOT NULL,
	"station_id" text NOT NULL,
	"post_id" text NOT NULL,
	"day_of_week" integer NOT NULL,
	"start_minute" integer NOT NULL,
	"end_minute" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "fallback_officer_id" text;--> statement-breakpoint
ALTER TABLE "roster_assignments" ADD CONSTRAINT "roster_assignments_shift_id_roster_shifts_id_fk" FOREIGN KEY ("shift_id") REFERENCES "public"."roster_shifts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_assignments" ADD CONSTRAINT "roster_assignments_officer_id_officers_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_overrides" ADD CONSTRAINT "roster_overrides_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_overrides" ADD CONSTRAINT "roster_overrides_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_overrides" ADD CONSTRAINT "roster_overrides_officer_id_officers_id_fk" FOREIGN KEY ("officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_shifts" ADD CONSTRAINT "roster_shifts_station_id_stations_id_fk" FOREIGN KEY ("station_id") REFERENCES "public"."stations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "roster_shifts" ADD CONSTRAINT "roster_shifts_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "roster_overrides_post_ends_idx" ON "roster_overrides" USING btree ("post_id","ends_at");--> statement-breakpoint
CREATE INDEX "roster_shifts_post_idx" ON "roster_shifts" USING btree ("post_id");--> statement-breakpoint
ALTER TABLE "posts" ADD CONSTRAINT "posts_fallback_officer_id_officers_id_fk" FOREIGN KEY ("fallback_officer_id") REFERENCES "public"."officers"("id") ON DELETE no action ON UPDATE no action;