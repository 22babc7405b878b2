/**
 * The supervisor view's stylesheet, served at /console/assets/supervisor.css beside console.css (same
 * Content-Security-Policy: no inline style). It uses console.css's colours (custom properties).
 */
export const SUPERVISOR_CSS = `
.nowrap { white-space:nowrap; }
.sup-group { margin:0 0 1rem; }
.sup-group h3 { font-size:1rem; margin:.4rem 0 .5rem; display:flex; justify-content:space-between; gap:1rem; }
.sup-alerts { list-style:none; padding:0; margin:0; }
.sup-alerts li { background:#fff; border:1px solid var(--line); border-left:6px solid var(--muted); border-radius:6px; margin:0 0 .6rem; }
.sup-alerts li.risk-critical { border-left-color:var(--critical); } .sup-alerts li.risk-high { border-left-color:var(--high); }
.sup-alerts li.risk-medium { border-left-color:var(--medium); } .sup-alerts li.risk-low { border-left-color:var(--low); }
a.sup-card { display:grid; gap:.25rem; padding:.6rem .8rem; min-height:44px; color:inherit; text-decoration:none; }
a.sup-card .row { display:flex; flex-wrap:wrap; gap:.2rem .8rem; align-items:baseline; }
.sup-line { display:block; }
.sup-open { color:#1a4fa0; text-decoration:underline; font-weight:600; }
a.sup-card:hover { background:#ebf4ff; }
.sup-caption { text-align:left; font-weight:700; font-size:1.1rem; padding:0 0 .4rem; }
form.sup-range { display:grid; gap:.8rem; margin:0 0 1rem; }
@media (min-width: 600px) { form.sup-range { grid-template-columns:repeat(2, minmax(0, 14rem)) max-content; align-items:start; } form.sup-range button { margin-top:1.75rem; } }
.sup-field { display:grid; gap:.3rem; }
.field-error { color:var(--critical); font-weight:600; }
input[aria-invalid="true"] { border:2px solid var(--critical); }
.sup-charts { display:grid; gap:1rem; }
@media (min-width: 900px) { .sup-charts { grid-template-columns:1fr 1fr; } }
.sup-figure { margin:0; }
.sup-figure figcaption { font-weight:700; }
.sup-figure p { margin:.2rem 0 0; font-size:.9rem; }
.sup-chart { display:block; width:100%; max-width:36rem; height:auto; }
.sup-legend { list-style:none; padding:0; margin:.3rem 0; display:flex; flex-wrap:wrap; gap:.2rem 1rem; font-size:.9rem; }
.sup-legend svg { margin-right:.3rem; vertical-align:-1px; }
.sup-scroll { overflow-x:auto; margin:1rem 0; }
.sup-table th, .sup-table td { white-space:nowrap; font-variant-numeric:tabular-nums; }
.sup-table thead th:first-child, .sup-table tbody th, .sup-table tfoot th { position:sticky; left:0; background:#fff; }
.sup-table td, .sup-table thead th + th { text-align:right; }
.sup-table caption { text-align:left; font-weight:700; padding:0 0 .4rem; }
.sup-table tfoot th, .sup-table tfoot td { font-weight:700; border-top:2px solid var(--ink); }
.sup-exports { display:flex; flex-wrap:wrap; gap:.6rem; margin:1rem 0 .3rem; }
a.button { display:inline-flex; align-items:center; min-height:44px; padding:.5rem 1rem; border:1px solid #1a4fa0; border-radius:6px; background:#fff; color:#1a4fa0; font-weight:600; text-decoration:none; }
.sup-dead { padding-left:1.2rem; }
.sup-dead li { margin:0 0 .8rem; overflow-wrap:anywhere; }
.sup-redrive { margin:.3rem 0 0; }
`;
