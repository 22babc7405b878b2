/**
 * The admin pages' stylesheet, served at /console/assets/admin.css beside console.css (same
 * Content-Security-Policy: no inline style); it uses console.css's colours. Tables turn into labelled
 * blocks below 640 px, so nothing scrolls sideways on a phone.
 */
export const ADMIN_CSS = `
nav.adm-sub { display:flex; flex-wrap:wrap; gap:.3rem; margin:0 0 1rem; }
nav.adm-sub a { display:inline-flex; align-items:center; min-height:44px; padding:0 .8rem; border:1px solid #a0aec0; border-radius:22px; background:#fff; text-decoration:none; color:#1a4fa0; }
nav.adm-sub a[aria-current="page"] { background:#1a4fa0; border-color:#1a4fa0; color:#fff; font-weight:600; }
ul.adm-sections { list-style:none; padding:0; margin:0; display:grid; gap:.6rem; }
@media (min-width: 900px) { ul.adm-sections { grid-template-columns:repeat(2, minmax(0, 1fr)); } }
ul.adm-sections a { display:grid; gap:.2rem; min-height:44px; padding:.8rem 1rem; background:#fff; border:1px solid var(--line); border-left:6px solid #1a4fa0; border-radius:6px; text-decoration:none; color:var(--ink); }
ul.adm-sections a strong { color:#1a4fa0; font-size:1.1rem; }
ul.adm-sections a:hover { background:#ebf4ff; }
.adm-table { margin:0 0 1rem; }
.adm-table th { white-space:nowrap; }
.adm-table td { vertical-align:middle; }
.adm-table a { display:inline-flex; align-items:center; min-height:44px; }
.adm-table form { margin:0; }
.adm-off { color:var(--muted); }
.adm-tag { display:inline-block; padding:0 .45rem; border-radius:4px; font-size:.85rem; font-weight:600; background:#edf2f7; color:var(--ink); white-space:nowrap; }
.adm-tag.on { background:#c6f6d5; color:#22543d; } .adm-tag.off { background:#fed7d7; color:#742a2a; }
@media (max-width: 639px) {
  .adm-table thead { position:absolute; left:-9999px; }
  .adm-table, .adm-table tbody, .adm-table tr, .adm-table td { display:block; width:100%; }
  .adm-table tr { border:1px solid var(--line); border-radius:6px; margin:0 0 .6rem; padding:.3rem .6rem; background:#fff; }
  .adm-table td { border:0; padding:.15rem 0; display:grid; grid-template-columns:6.5rem 1fr; gap:.5rem; }
  .adm-table td::before { content:attr(data-label); color:var(--muted); }
}
.adm-grid { display:grid; gap:1rem; }
@media (min-width: 900px) { .adm-grid { grid-template-columns:repeat(2, minmax(0, 1fr)); align-items:start; } }
.adm-grid form.stack, .adm-wide form.stack { max-width:none; }
.adm-secret { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:1.2rem; padding:.5rem .8rem; background:#fffbea; border:2px dashed #b7791f; border-radius:6px; overflow-wrap:anywhere; user-select:all; }
.adm-inline { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; }
.adm-inline .field { flex:1 1 12rem; }
.adm-inline button { flex:0 0 auto; }
.adm-checks { display:flex; flex-wrap:wrap; gap:.4rem; border:0; padding:0; margin:0; }
.adm-checks legend { font-weight:600; padding:0; margin:0 0 .2rem; }
.adm-times { display:grid; grid-template-columns:repeat(3, minmax(0, 1fr)); gap:.5rem; }
@media (max-width: 479px) { .adm-times { grid-template-columns:1fr 1fr; } .adm-times .field:first-child { grid-column:1 / -1; } }
fieldset.adm-shift { margin:0 0 .8rem; padding:.6rem; display:grid; gap:.5rem; background:#fff; }
fieldset.adm-shift legend { font-weight:700; }
fieldset.adm-shift > label.chip, form.stack > label.chip { justify-self:start; }
.adm-actions { display:flex; flex-wrap:wrap; gap:.6rem; align-items:center; }
.adm-result { font-weight:600; }
ul.adm-list { list-style:none; padding:0; margin:0; }
ul.adm-list li { padding:.4rem 0; border-bottom:1px solid var(--line); display:flex; flex-wrap:wrap; gap:.3rem 1rem; align-items:center; justify-content:space-between; }
.adm-data { font-size:.9rem; color:var(--muted); overflow-wrap:anywhere; }
code { overflow-wrap:anywhere; }
.sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0,0,0,0); white-space:nowrap; border:0; }
.adm-table td > .adm-tag, .adm-table td > span { justify-self:start; }
.adm-table .field .adm-tag { justify-self:start; }
/* Feed sources, partners, campaigns and opt-outs (ap-), and what every admin form shares. */
main > h2 { margin:.2rem 0 .6rem; }
.ap-once { border:2px solid var(--high); background:#fffaf0; }
.ap-once h3 { margin-top:0; }
code.ap-secret { display:block; overflow-wrap:anywhere; word-break:break-all; font-size:1rem; padding:.4rem .5rem; background:#fff; border:1px dashed var(--muted); border-radius:4px; user-select:all; }
.ap-list { list-style:none; padding:0; margin:0 0 1rem; }
.ap-list > li { background:#fff; border:1px solid var(--line); border-left:6px solid var(--ok); border-radius:6px; padding:.7rem .8rem; margin:0 0 .7rem; }
.ap-list > li.off { border-left-color:var(--muted); }
.ap-list h3 { margin:0 0 .3rem; font-size:1.05rem; overflow-wrap:anywhere; }
.ap-list h3 a { display:inline-flex; align-items:center; min-height:44px; }
.ap-actions { display:flex; flex-wrap:wrap; gap:.5rem; margin-top:.6rem; align-items:flex-end; }
.ap-actions form.stack { flex:1 1 16rem; max-width:none; }
.ap-on { color:#1c6b40; font-weight:600; } .ap-off { color:var(--critical); font-weight:600; }
.ap-test { border:1px solid var(--high); color:#7a4a00; border-radius:4px; padding:0 .35em; font-size:.85em; }
form.ap-action + .hint { margin-top:.9rem; }
.ap-warn { color:var(--critical); font-weight:600; margin:.3rem 0 0; }
.ap-meta { color:var(--muted); font-size:.9rem; margin:.2rem 0; overflow-wrap:anywhere; }
.ap-body { white-space:pre-wrap; overflow-wrap:anywhere; background:var(--bg); padding:.4rem .5rem; border-radius:4px; margin:.3rem 0; }
textarea { min-height:7rem; resize:vertical; }
form.stack { max-width:36rem; }
.ap-grid { display:grid; gap:1rem; }
@media (min-width: 900px) { .ap-grid { grid-template-columns:minmax(0,3fr) minmax(0,2fr); align-items:start; } }
.ap-check { border-left:6px solid var(--muted); background:#fff; border-radius:6px; padding:.5rem .8rem; margin:0; }
.ap-check.ok { border-left-color:var(--ok); } .ap-check.bad { border-left-color:var(--critical); }
.ap-check ul { margin:.3rem 0 0; padding-left:1.2rem; } .ap-check li { margin:0 0 .3rem; color:var(--critical); }
.ap-check .ap-count { font-weight:600; margin:0; }
.ap-check .ap-okline { color:var(--ok); font-weight:600; margin:.3rem 0 0; }
.ap-inline { display:flex; flex-wrap:wrap; gap:.5rem; align-items:flex-end; margin:0 0 1rem; }
.ap-inline .field { flex:1 1 14rem; }
.ap-sigs { list-style:none; padding:0; margin:0 0 .8rem; }
.ap-sigs li { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; padding:.3rem 0; border-bottom:1px solid var(--line); }
.ap-quota { font-variant-numeric:tabular-nums; }
.ap-state-warning { color:#9c3408; font-weight:600; } .ap-state-exhausted { color:var(--critical); font-weight:600; } .ap-state-ok { color:#1c6b40; font-weight:600; }
.ap-pager { display:flex; gap:1rem; }
.ap-pager a { display:inline-flex; align-items:center; min-height:44px; }
`;
