import type { Deps } from "../deps";
import type { PgTableQueue, PromptHandler, PromptSql } from "../queue/pg-queue";

/**
 * Handles the prompt messages (PROMPT_MESSAGES in src/topology.ts) a transaction publishes inside that very
 * transaction, with the consumer's own code (promptHandler in src/consumers.ts): the officer who closes an
 * alert sees its feedback queued in the answer, and the outcome costs one transaction, not a second one plus
 * a job to claim, settle and delete. A failure rolls the whole transaction back, as any of its statements
 * would: the officer is told and tries again, nothing half-done is left.
 *
 * `asSql` is the same work as SQL, for a use case that makes its whole change in one statement (recording an
 * outcome, src/alerts/officer-step.ts): the consumer's work then joins that statement.
 */
export function handlePromptly(
  deps: Deps & { queue: PgTableQueue },
  handle: PromptHandler,
  asSql: PromptSql,
): void {
  deps.queue.handlePrompt = handle;
  deps.queue.promptSql = asSql;
}
