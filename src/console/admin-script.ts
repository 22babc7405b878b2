import { Hono } from "hono";
import type { ConsoleEnv } from "./context";

/**
 * The one script of the admin pages, served from /console/assets under the console's Content-Security-Policy
 * (no inline script); every page works without it. The live template check: as the admin types, the text
 * goes (debounced) to the console's check endpoint, which answers in the page's language; the answer
 * replaces the check panel the server rendered. Written with textContent only, so nothing typed can become
 * markup.
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

export function adminScriptRoutes() {
  const app = new Hono<ConsoleEnv>();
  const headers = (type: string) => ({ "content-type": type, "cache-control": "public, max-age=300" });
  app.get("/assets/admin-template-check.js", (c) =>
    c.body(ADMIN_TEMPLATE_JS, 200, headers("text/javascript; charset=utf-8")),
  );
  return app;
}
