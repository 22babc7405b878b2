import {
  type DriverValueEncoder,
  getTableColumns,
  is,
  Param,
  Placeholder,
  SQL,
  StringChunk,
} from "drizzle-orm";
import { PgDialect, type PgTable, type PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Executor } from "./client";

/** Where a value goes in a rendered statement: a placeholder's value, or a constant of the shape. */
type Slot =
  | { name: string; encoder?: DriverValueEncoder<unknown, unknown> }
  | { constant: unknown; name?: undefined };

/** Writes each parameter as a marker no SQL text contains, so the text splits where the values go. */
class MarkingDialect extends PgDialect {
  override escapeParam(num: number): string {
    return `\u0000${num}\u0000`;
  }
}

// The clients' own dialect settings (src/db/postgres.ts, src/db/pglite.ts): the same text either way.
const dialect = new MarkingDialect({ casing: "snake_case" });

/**
 * A statement of drizzle's builders, rendered to text once for each of its shapes and then given each run's
 * values. Rendering walks every table, column and nested SQL of a builder with drizzle's prototype-chain
 * checks (`is`), and does it again on every run: for an officer's step, two statements that never change
 * but for their values, that was the larger part of this process's CPU per outcome (bench:verify profile).
 * What a run gets instead is an SQL of the rendered text and plain values, which drizzle passes on at almost
 * no cost; the text is the same on every run of a shape, so the driver keeps it prepared
 * (./named-statements.ts).
 *
 * `build` writes a shape's statement with `sql.placeholder(name)` where each run's values go (through
 * `boundColumns` for an update's `set`, where each column encodes its value). It is given only the shape
 * and the executor's builders (the text does not depend on which executor: every client here has the same
 * dialect settings), so no value of a run can end up in the text.
 */
export class Rendered<Shape extends Record<string, unknown> | undefined> {
  private readonly byShape = new Map<string, { texts: string[]; slots: Slot[] }>();

  constructor(private readonly build: (executor: Executor, shape: Shape) => SQL) {}

  sql(executor: Executor, shape: Shape, values: Record<string, unknown>): SQL {
    const { texts, slots } = this.rendered(executor, shape);
    const chunks: unknown[] = [new StringChunk(texts[0] ?? "")];
    slots.forEach((slot, i) => {
      chunks.push(slotValue(slot, values), new StringChunk(texts[i + 1] ?? ""));
    });
    // Plain values are what drizzle's `sql` template holds for `${value}`: passed on as parameters.
    return new SQL(chunks as ConstructorParameters<typeof SQL>[0]);
  }

  private rendered(executor: Executor, shape: Shape) {
    const key = JSON.stringify(shape ?? null);
    let rendered = this.byShape.get(key);
    if (!rendered) {
      const query = dialect.sqlToQuery(this.build(executor, shape));
      const parts = query.sql.split("\u0000");
      // Markers in the parameters' order, one per parameter: anything else is a drizzle this was not made for.
      const markers = parts.filter((_, i) => i % 2 === 1);
      if (markers.length !== query.params.length || markers.some((marker, i) => marker !== String(i))) {
        throw new Error("drizzle rendered the parameters of a statement otherwise than in their order");
      }
      rendered = { texts: parts.filter((_, i) => i % 2 === 0), slots: query.params.map(slotOf) };
      this.byShape.set(key, rendered);
    }
    return rendered;
  }
}

/**
 * An update's `set` of `table`'s columns `keys`, each bound to the placeholder of its key: a run's value is
 * written as its column writes it (drizzle's own encoding).
 */
export function boundColumns<T extends PgTable>(table: T, keys: readonly string[]): PgUpdateSetSource<T> {
  const columns: Record<string, DriverValueEncoder<unknown, unknown>> = getTableColumns(table);
  return Object.fromEntries(
    keys.map((key) => {
      const column = columns[key];
      if (!column) throw new Error(`${key} is not a column`);
      return [key, new SQL([new Param(new Placeholder(key), column)])];
    }),
  ) as PgUpdateSetSource<T>;
}

function slotOf(param: unknown): Slot {
  if (is(param, Placeholder)) return { name: param.name };
  if (is(param, Param) && is(param.value, Placeholder))
    return { name: param.value.name, encoder: param.encoder };
  return { constant: param };
}

function slotValue(slot: Slot, values: Record<string, unknown>): unknown {
  if (slot.name === undefined) return slot.constant;
  if (!(slot.name in values)) throw new Error(`no value for the placeholder "${slot.name}"`);
  const value = values[slot.name];
  // As drizzle renders a Param: null stays null, everything else goes through the column's encoder.
  if (value === null || value === undefined) return null;
  const encoded = slot.encoder ? slot.encoder.mapToDriverValue(value) : value;
  // drizzle would write an array in a chunk as a list, an SQL as text: an object travels as a Param.
  return typeof encoded === "object" ? new Param(encoded) : encoded;
}
