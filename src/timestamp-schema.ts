import { z } from "zod";
import { ISO_TIME, isTimestamp } from "./timestamps";

/**
 * A timestamp with offset as clients send them (detectedAt, occurredAt, filters). zod's ISO check lets year
 * 0000 through, which PostgreSQL refuses at the insert: a 500 for the whole request instead of a 400 naming
 * the field. Windows that make sense for a field (how old a warning may be) are the field's own rule.
 */
export const timestampWithOffset = () =>
  z.iso
    .datetime({ offset: true })
    // zod runs a refinement even after its format check failed: judge only what has the shape, so a
    // malformed value gets one error, not two.
    .refine((text) => !ISO_TIME.test(text) || isTimestamp(text), "not a real date and time");
