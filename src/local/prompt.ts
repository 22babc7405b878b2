import type { Deps } from "../deps";
import type { PgTableQueue, PromptHandler } from "../queue/pg-queue";

/**
 * Handles the prompt messages (PROMPT_MESSAGES in src/topology.ts) a transaction publishes inside that very
 * transaction, with the consumer's own code (promptHandler in src/consumers.ts): the officer who closes an
 * alert sees its feedback queued in the answer, and the outcome costs one transaction, not a second one plus
 * a job to claim, settle and delete. A failure rolls the whole transaction back, as any of its statements
 * would: the officer is told and tries again, nothing half-done is left.
 */
export function handlePromptly(deps: Deps & { queue: PgTableQueue }, handle: PromptHandler): void {
  deps.queue.handlePrompt = handle;
}
