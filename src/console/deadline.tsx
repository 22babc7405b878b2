import type { DeadlineKind } from "../../schema";
import { fill } from "./i18n-officer";
import { clockTime, type PageContext } from "./layout";

/**
 * Which deadline is running, when it falls and how long is left: `联系时限 14:20 · 剩余 12 分钟`. The script
 * turns the minutes into a live countdown (`data-deadline`), keeping the page's words for "left"/"overdue".
 */
export function DeadlineText(props: { ctx: PageContext; kind: DeadlineKind; at: Date | string }) {
  const { t, label, lang } = props.ctx.i18n;
  const now = props.ctx.now ?? new Date();
  const at = typeof props.at === "string" ? new Date(props.at) : props.at;
  const left = at.getTime() - now.getTime();
  const minutes = Math.max(1, Math.ceil(Math.abs(left) / 60_000));
  return (
    <span class="deadline">
      <span>
        {label.deadline[props.kind]} {clockTime(at, lang, now)}
      </span>{" "}
      <span
        class={`countdown${left < 0 ? " overdue" : ""}`}
        data-deadline={at.toISOString()}
        data-left={t.deadlineLeft}
        data-passed={t.deadlinePassed}
      >
        {`${left < 0 ? t.deadlinePassed : t.deadlineLeft} ${fill(t.minutesUnit, { n: minutes })}`}
      </span>
    </span>
  );
}
