import { eq, getTableColumns, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { posts, stations } from "../../schema";
import { queryRows } from "../../src/db/client";
import { boundColumns, Rendered } from "../../src/db/rendered";
import { rowFromDriver } from "../../src/db/rows";
import { freshDatabase } from "../support/db";

/**
 * A statement rendered once per shape (src/db/rendered.ts) writes what drizzle's builder would have written
 * with the same values: a Date through its column, a null as null; and a shape is rendered once, however
 * often it runs.
 */
async function stationWithPost() {
  const { database } = await freshDatabase();
  await database.db.insert(stations).values({ id: "st_1", name: "城东派出所" });
  await database.db.insert(posts).values({ id: "po_1", stationId: "st_1", name: "城东警务室" });
  return database.db;
}

function renamingPost() {
  const shapes: string[][] = [];
  const statement = new Rendered<{ columns: string[] }>((executor, { columns }) => {
    shapes.push(columns);
    return executor
      .update(posts)
      .set(boundColumns(posts, columns))
      .where(eq(posts.id, sql.placeholder("id")))
      .returning()
      .getSQL();
  });
  return { statement, shapes };
}

describe("statements rendered once", () => {
  it("writes each run's values as the columns write them, and renders a shape once", async () => {
    const db = await stationWithPost();
    const { statement, shapes } = renamingPost();
    const disabledAt = new Date("2026-12-04T02:30:00.123Z");

    const run = async (values: Record<string, unknown>) => {
      const [raw] = await queryRows<Record<string, unknown>>(
        db,
        statement.sql(db, { columns: Object.keys(values) }, { ...values, id: "po_1" }),
      );
      return raw && rowFromDriver(posts, raw);
    };

    expect(await run({ name: "城东一号警务室", disabledAt })).toMatchObject({
      name: "城东一号警务室",
      disabledAt,
    });
    expect(await run({ name: "城东二号警务室", disabledAt: null })).toMatchObject({
      name: "城东二号警务室",
      disabledAt: null,
    });
    // Another set of columns is another shape, rendered when it first runs.
    expect(await run({ isDutyDesk: true })).toMatchObject({ name: "城东二号警务室", isDutyDesk: true });
    expect(shapes).toEqual([["name", "disabledAt"], ["isDutyDesk"]]);

    const [stored] = await db.select(getTableColumns(posts)).from(posts).where(eq(posts.id, "po_1"));
    expect(stored).toMatchObject({ name: "城东二号警务室", disabledAt: null, isDutyDesk: true });
  });

  it("refuses a run that leaves a placeholder without a value, before anything is sent", async () => {
    const db = await stationWithPost();
    const { statement } = renamingPost();
    expect(() => statement.sql(db, { columns: ["name"] }, { name: "别处" })).toThrow(/"id"/);
    const [stored] = await db.select({ name: posts.name }).from(posts).where(eq(posts.id, "po_1"));
    expect(stored?.name).toBe("城东警务室");
  });

  it("passes a run's array as one value, not as a list in the text", async () => {
    const db = await stationWithPost();
    const statement = new Rendered<undefined>(() => sql`select ${sql.placeholder("names")}::text[] as names`);
    const [row] = await queryRows<{ names: string[] }>(
      db,
      statement.sql(db, undefined, { names: ["城东", "城西"] }),
    );
    expect(row?.names).toEqual(["城东", "城西"]);
  });

  it("keeps the shape's constants in the text's place for them", async () => {
    const db = await stationWithPost();
    const statement = new Rendered<undefined>((executor) =>
      executor
        .select({ name: posts.name })
        .from(posts)
        .where(eq(posts.stationId, "st_1"))
        .orderBy(posts.name)
        .limit(sql.placeholder("limit"))
        .getSQL(),
    );
    const rows = await queryRows<{ name: string }>(db, statement.sql(db, undefined, { limit: 5 }));
    expect(rows).toEqual([{ name: "城东警务室" }]);
  });
});
