import { Hono } from "hono";
import type { ConsoleEnv } from "./context";

/**
 * The stylesheet of the admin pages for feed sources, partners, campaigns and opt-outs, and the one script
 * they have: the template check as the admin types. Served from /console/assets beside console.css, under the
 * same Content-Security-Policy (no inline script or style). Every page works without the script.
 */
export const ADMIN_PARTNERS_CSS = `
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

/**
 * The live template check: as the admin types, the text goes (debounced) to the console's check endpoint,
 * which answers in the page's language; the answer replaces the check panel the server rendered. Written
 * with textContent only, so nothing typed can become markup.
 */
export const ADMIN_TEMPLATE_JS = `
(function () {
  var box = document.getElementById("ap-template-body");
  var panel = document.getElementById("ap-template-check");
  var form = box && box.form;
  if (!box || !panel || !form) return;
  var url = panel.getAttribute("data-check-url");
  var timer = null, seq = 0;
  function render(check) {
    panel.className = "ap-check " + (check.valid ? "ok" : "bad");
    panel.textContent = "";
    var count = document.createElement("p");
    count.className = "ap-count";
    count.textContent = check.count;
    panel.appendChild(count);
    if (check.valid) {
      var ok = document.createElement("p");
      ok.className = "ap-okline";
      ok.textContent = check.ok;
      panel.appendChild(ok);
      return;
    }
    var list = document.createElement("ul");
    check.problems.forEach(function (p) {
      var li = document.createElement("li");
      li.setAttribute("data-code", p.code);
      li.textContent = p.message;
      list.appendChild(li);
    });
    panel.appendChild(list);
  }
  function check() {
    var mine = ++seq;
    var data = new URLSearchParams();
    data.set("_csrf", form.querySelector("input[name=_csrf]").value);
    data.set("body", box.value);
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (check) { if (check && mine === seq) render(check); })
      .catch(function () {});
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
})();
`;

export function adminPartnersAssetRoutes() {
  const app = new Hono<ConsoleEnv>();
  const headers = (type: string) => ({ "content-type": type, "cache-control": "public, max-age=300" });
  app.get("/assets/admin-partners.css", (c) =>
    c.body(ADMIN_PARTNERS_CSS, 200, headers("text/css; charset=utf-8")),
  );
  app.get("/assets/admin-template-check.js", (c) =>
    c.body(ADMIN_TEMPLATE_JS, 200, headers("text/javascript; charset=utf-8")),
  );
  return app;
}
