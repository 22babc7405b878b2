import { AppError } from "./errors";
import { unstorableText } from "./text";
import { isTimestamp } from "./timestamps";

/** Cursors carry their timestamps as text; one PostgreSQL would refuse is an invalid cursor. */
export const isCursorTime = isTimestamp;

/**
 * Opaque cursors: base64url JSON of the last row's sort key. Clients pass them back unchanged; a cursor
 * that does not decode to the expected shape is a 400 naming `cursor`, never a 500. Text in a cursor is
 * the client's text like any other: text PostgreSQL cannot store is refused here, before a reader sees it.
 */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, read: (value: unknown) => T | undefined): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const key = value === undefined || unstorableText(value).length > 0 ? undefined : read(value);
  if (key === undefined) {
    throw new AppError("VALIDATION_FAILED", "the cursor is not one this endpoint returned", [
      { path: "cursor", message: "invalid cursor" },
    ]);
  }
  return key;
}
