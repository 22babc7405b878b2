import { AppError } from "../errors";
import { Csrf } from "./admin-layout";
import type { ConsoleContext } from "./context";
import type { I18n } from "./i18n";
import { fill } from "./i18n-officer";
import type { PageContext } from "./layout";

/**
 * The admin forms' parts: a field with its error beside it, a one-button action, typed numbers, the "done"
 * flash after a redirect, and a use case's refusal in the page's words. The page frame, the admin-only gate
 * and reading a form are admin-layout.tsx's; secrets shown once, admin-once.tsx's.
 */

type Messages = I18n["t"];
export type MessageKey = keyof Messages;

/** The `?done=` flashes a page knows: the key in the redirect, its words on the page. */
export function doneMessage(
  c: ConsoleContext,
  t: Messages,
  known: readonly MessageKey[],
): string | undefined {
  const done = c.req.query("done");
  const key = known.find((k) => k === done);
  return key ? t[key] : undefined;
}

/** A labelled input with its hint and, after a refused submit, its error (announced, and the input marked). */
export function Field(props: {
  id: string;
  name: string;
  label: string;
  value?: string;
  error?: string;
  hint?: string;
  type?: string;
  required?: boolean;
  inputmode?: "numeric" | "tel" | "url" | "text";
  autocomplete?: string;
  placeholder?: string;
  min?: number;
  max?: number;
  multiline?: boolean;
  rows?: number;
}) {
  const describedBy = [props.hint ? `${props.id}-hint` : "", props.error ? `${props.id}-error` : ""]
    .filter(Boolean)
    .join(" ");
  const common = {
    id: props.id,
    name: props.name,
    required: props.required,
    "aria-invalid": props.error ? "true" : undefined,
    "aria-describedby": describedBy || undefined,
  };
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 4}>
          {props.value ?? ""}
        </textarea>
      ) : (
        <input
          {...common}
          type={props.type ?? "text"}
          value={props.value ?? ""}
          inputmode={props.inputmode}
          autocomplete={props.autocomplete ?? "off"}
          placeholder={props.placeholder}
          min={props.min}
          max={props.max}
        />
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A one-button form that posts with the session's CSRF token. */
export function ActionButton(props: {
  ctx: PageContext;
  action: string;
  label: string;
  secondary?: boolean;
  hidden?: Record<string, string>;
}) {
  return (
    <form class="inline ap-action" method="post" action={props.action}>
      <Csrf ctx={props.ctx} />
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button class={props.secondary ? "secondary" : "primary"} type="submit">
        {props.label}
      </button>
    </form>
  );
}

export const formText = (form: Record<string, unknown>, name: string, max = 2000) => {
  const v = form[name];
  return typeof v === "string" ? v.slice(0, max) : "";
};

/** An integer typed in a form, or an error message in the page's language. Empty: undefined. */
export function formInt(
  t: Messages,
  typed: string,
  min: number,
  max: number,
): { value?: number; error?: string } {
  const trimmed = typed.trim();
  if (trimmed === "") return {};
  const n = Number(trimmed);
  if (!/^-?\d+$/.test(trimmed) || n < min || n > max) return { error: fill(t.apErrNumber, { min, max }) };
  return { value: n };
}

/**
 * A use case's refusal the console did not catch first: the page says it in its language (the use case's
 * English words are for the API). NOT_FOUND and CONFLICT have their own; anything else is rethrown.
 */
export function refusalText(t: Messages, error: unknown): string {
  if (!(error instanceof AppError)) throw error;
  if (error.code === "NOT_FOUND") return t.apNotFound;
  if (error.code === "CONFLICT") return t.apConflict;
  if (error.code === "VALIDATION_FAILED") return t.apFixErrors;
  throw error;
}

/** Pages with secrets or per-admin state are never cached. */
export const noStore = { "cache-control": "no-store" };
