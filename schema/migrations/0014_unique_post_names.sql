-- Posts that already share a name at their station keep the oldest one's name; the others get a number
-- (二工村警务室（2）), so the index can be built and an admin sees which to rename.
UPDATE "posts" AS p SET "name" = p."name" || '（' || d.n || '）'
  FROM (
    SELECT "id", row_number() OVER (PARTITION BY "station_id", "name" ORDER BY "created_at", "id") AS n
    FROM "posts"
  ) AS d
  WHERE d."id" = p."id" AND d.n > 1;
--> statement-breakpoint
CREATE UNIQUE INDEX "posts_station_name_uq" ON "posts" USING btree ("station_id","name");