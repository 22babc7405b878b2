import type { FieldError } from "./errors";

/**
 * Text PostgreSQL can store. It refuses NUL in `text` and `jsonb`, and a string that is not well-formed
 * UTF-16 (a lone surrogate, which JSON's `\ud800` escape produces) has no UTF-8 encoding to send it in.
 * With the `u` flag the class below matches only unpaired surrogates: a valid pair is one code point.
 */
const UNSTORABLE = /[\0\uD800-\uDFFF]/u;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/** Enough to name the fields; a hostile body could otherwise make the answer as large as itself. */
const MAX_REPORTED = 20;

/**
 * Every string (value or key) in a parsed JSON value that PostgreSQL could not store, named by its path
 * ("warnings.3.subject.name", as validation errors name fields). Iterative, so no input depth can overflow
 * the stack; callers bound the depth anyway (src/http/body-guard.ts).
 */
export function unstorableText(value: unknown, prefix = ""): FieldError[] {
  const errors: FieldError[] = [];
  const stack: [unknown, string][] = [[value, prefix]];
  while (stack.length > 0 && errors.length < MAX_REPORTED) {
    const [item, path] = stack.pop() as [unknown, string];
    if (typeof item === "string") {
      if (!isStorableText(item)) errors.push({ path: path || "(body)", message: unstorableMessage(item) });
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], join(path, String(i))]);
    } else if (item !== null && typeof item === "object") {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        if (!isStorableText(key)) {
          errors.push({ path: path || "(body)", message: `a field name ${unstorableMessage(key)}` });
          continue;
        }
        stack.push([child, join(path, key)]);
      }
    }
  }
  return errors;
}

export function unstorableMessage(text: string): string {
  return text.includes("\0")
    ? "contains a NUL (\\u0000) character"
    : "contains a lone UTF-16 surrogate (not valid Unicode text)";
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
