import type { Principal } from "../auth/sessions";
import type { Deps } from "../deps";
import { AppError } from "../errors";
import { type DutyStatus, markOwnDuty } from "../organisation/duty-self";
import type { PageContext } from "./layout";

/**
 * The officer's own on/off-duty switch on the queue page (the rule is in src/organisation/roster.ts). The form
 * posts, then redirects to the queue with `?duty=on|off|alone`, which the page shows as its flash message.
 */
export type DutyNotice = "on" | "off" | "alone";

export async function markOwnDutyFromConsole(
  deps: Pick<Deps, "db" | "clock">,
  principal: Principal,
  onDuty: boolean,
): Promise<DutyNotice> {
  try {
    await markOwnDuty(deps, principal, onDuty);
    return onDuty ? "on" : "off";
  } catch (error) {
    if (error instanceof AppError && error.code === "CONFLICT") return "alone";
    throw error;
  }
}

export function DutyForm(props: { ctx: PageContext; duty: DutyStatus; notice?: string }) {
  const { t } = props.ctx.i18n;
  const flash =
    props.notice === "on"
      ? { kind: "ok", text: t.dutyMarkedOn }
      : props.notice === "off"
        ? { kind: "ok", text: t.dutyMarkedOff }
        : props.notice === "alone"
          ? { kind: "error", text: t.dutyOnlyOne }
          : undefined;
  return (
    <section class="duty" aria-label={t.dutyTitle}>
      {flash && (
        <p class={`flash ${flash.kind}`} role={flash.kind === "error" ? "alert" : "status"}>
          {flash.text}
        </p>
      )}
      <form method="post" action="/console/duty">
        <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
        <input type="hidden" name="onDuty" value={props.duty.onDuty ? "off" : "on"} />
        <span>{props.duty.onDutyAt.length > 0 ? t.dutyOnNow : t.dutyNotNow}</span>
        <button type="submit" class="secondary">
          {props.duty.onDuty ? t.dutyMarkOff : t.dutyMarkOn}
        </button>
      </form>
    </section>
  );
}
