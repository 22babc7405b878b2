import type { Deps } from "../../deps";
import type { Log } from "../../log";
import { applyReceipt } from "../receipts/receipts";
import type { Message } from "./message-store";
import { recordSubmitted } from "./submits";

/**
 * The channel name test-mode reminders carry. No channel has it: nothing is ever handed to a provider, and no
 * rate, per-number cap or partner quota is counted against it. A partner's receipt webhook names its own
 * `partner:<id>` channel, so it cannot touch these messages either.
 */
export const TEST_CHANNEL = "test";

/**
 * A test-mode reminder goes through the statuses a live one does — submitted, then delivered — so an
 * integrator's read-backs and status callbacks behave as they will with a live key, without texting anyone.
 * Like the Notify and Twilio test credentials: every test message is "delivered".
 */
export async function settleTestMessage(
  deps: Pick<Deps, "db" | "clock">,
  message: Message,
  log: Log,
): Promise<void> {
  await recordSubmitted(deps, message, `test_${message.id}`, "test key: not sent");
  await applyReceipt(deps.db, {
    channel: TEST_CHANNEL,
    providerMessageId: `test_${message.id}`,
    status: "delivered",
    detail: "test key: simulated delivery",
  });
  log.debug(
    { smsId: message.id, partnerId: message.partnerId },
    "test-mode reminder settled without sending",
  );
}
