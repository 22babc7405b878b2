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
`;
