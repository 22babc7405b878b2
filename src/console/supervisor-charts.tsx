import type { DayFigures } from "../reports/daily";
import { type PageContext, yuan } from "./layout";

/**
 * Per-day charts drawn on the server as SVG: no chart library, no script, and nothing the console's
 * Content-Security-Policy forbids (presentation attributes, not style attributes). The numbers are also in
 * the table under them, which is what screen readers and people who want exact figures read.
 */
interface Series {
  label: string;
  color: string;
  value: (d: DayFigures) => number;
}

const W = 340;
const H = 210;
const LEFT = 52;
const RIGHT = 6;
const TOP = 10;
const BOTTOM = 34;

/** The axis top: the smallest 1, 2 or 5 times a power of ten that holds the largest value. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

export function DayChart(props: {
  ctx: PageContext;
  id: string;
  title: string;
  days: DayFigures[];
  series: Series[];
  format: (n: number) => string;
  /** Counts: no gridline at a fraction (2.5 alerts). */
  integer?: boolean;
}) {
  const { t, lang } = props.ctx.i18n;
  const { days, series } = props;
  const max = niceMax(Math.max(0, ...days.flatMap((d) => series.map((s) => s.value(d)))));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const groupW = plotW / Math.max(1, days.length);
  const barW = (groupW * 0.8) / series.length;
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const ticks = props.integer && max % 2 !== 0 ? [0, 1] : [0, 0.5, 1];
  // About seven date labels whatever the range, so they never overlap at 360 px.
  const labelEvery = Math.ceil(days.length / 7);
  const compact = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en", { notation: "compact" });
  return (
    <figure class="sup-figure">
      <figcaption id={`${props.id}-title`}>{props.title}</figcaption>
      <ul class="sup-legend">
        {series.map((s) => (
          <li>
            <svg width="12" height="12" aria-hidden="true" focusable="false">
              <rect width="12" height="12" fill={s.color} />
            </svg>
            {s.label}
          </li>
        ))}
      </ul>
      <svg
        class="sup-chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${props.id}-title ${props.id}-note`}
      >
        <title>{`${props.title}. ${t.supChartSeeTable}`}</title>
        {ticks.map((f) => (
          <g>
            <line
              x1={LEFT}
              x2={W - RIGHT}
              y1={y(max * f)}
              y2={y(max * f)}
              stroke="#cbd5e0"
              stroke-width="1"
            />
            <text x={LEFT - 4} y={y(max * f) + 4} font-size="15" text-anchor="end" fill="#4a5568">
              {compact.format(max * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) => (
          <g>
            {series.map((s, j) => {
              const v = s.value(d);
              return (
                <rect
                  x={LEFT + i * groupW + groupW * 0.1 + j * barW}
                  y={y(v)}
                  width={Math.max(0.5, barW - 0.5)}
                  height={Math.max(0, TOP + plotH - y(v))}
                  fill={s.color}
                >
                  <title>{`${d.day} ${s.label} ${props.format(v)}`}</title>
                </rect>
              );
            })}
            {i % labelEvery === 0 && (
              <text
                x={LEFT + (i + 0.5) * groupW}
                y={H - 10}
                font-size="15"
                text-anchor="middle"
                fill="#4a5568"
              >
                {d.day.slice(5)}
              </text>
            )}
          </g>
        ))}
      </svg>
      <p class="muted" id={`${props.id}-note`}>
        {t.supChartSeeTable}
      </p>
    </figure>
  );
}

/** The figures behind the charts, with the range's total: what a station quotes in its report. */
export function DayTable(props: { ctx: PageContext; days: DayFigures[]; total: Omit<DayFigures, "day"> }) {
  const { t } = props.ctx.i18n;
  const cells = (d: Omit<DayFigures, "day">) => [
    d.received,
    d.pushedInTarget,
    d.dissuaded,
    yuan(d.protectedFen),
    yuan(d.lostFen),
  ];
  return (
    <section class="sup-scroll" aria-labelledby="sup-table-caption" tabindex={0}>
      <table class="sup-table">
        <caption id="sup-table-caption">{t.supTableCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{t.supDay}</th>
            <th scope="col">{t.supReceived}</th>
            <th scope="col">{t.supPushedInTarget}</th>
            <th scope="col">{t.supDissuaded}</th>
            <th scope="col">{t.supProtected}</th>
            <th scope="col">{t.supLost}</th>
          </tr>
        </thead>
        <tbody>
          {props.days.map((d) => (
            <tr data-day={d.day}>
              <th scope="row">{d.day}</th>
              {cells(d).map((v) => (
                <td>{v}</td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-day="total">
            <th scope="row">{t.supTotal}</th>
            {cells(props.total).map((v) => (
              <td>{v}</td>
            ))}
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

export function DayCharts(props: { ctx: PageContext; days: DayFigures[] }) {
  const { t } = props.ctx.i18n;
  const count = (n: number) => String(n);
  return (
    <div class="sup-charts">
      <DayChart
        ctx={props.ctx}
        id="sup-counts"
        title={t.supCountsChart}
        days={props.days}
        format={count}
        integer
        series={[
          { label: t.supReceived, color: "#1a4fa0", value: (d) => d.received },
          { label: t.supPushedInTarget, color: "#2f855a", value: (d) => d.pushedInTarget },
          { label: t.supDissuaded, color: "#d9480f", value: (d) => d.dissuaded },
        ]}
      />
      <DayChart
        ctx={props.ctx}
        id="sup-amounts"
        title={t.supAmountsChart}
        days={props.days}
        format={(yuanValue) => yuan(yuanValue * 100)}
        series={[
          { label: t.supProtected, color: "#2f855a", value: (d) => d.protectedFen / 100 },
          { label: t.supLost, color: "#b00020", value: (d) => d.lostFen / 100 },
        ]}
      />
    </div>
  );
}
