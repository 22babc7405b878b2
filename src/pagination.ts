import { AppError } from "./errors";

/**
 * Opaque cursors: base64url JSON of the last row's sort key. Clients pass them back unchanged; a cursor
 * that does not decode to the expected shape is a 400 naming `cursor`, never a 500.
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
  const key = value === undefined ? undefined : read(value);
  if (key === undefined) {
    throw new AppError("VALIDATION_FAILED", "the cursor is not one this endpoint returned", [
      { path: "cursor", message: "invalid cursor" },
    ]);
  }
  return key;
}
