/**
 * The console's only stylesheet and script, served from /console/assets so the Content-Security-Policy can
 * forbid inline script and style. The script is an enhancement: every page works without it.
 */
export const CONSOLE_CSS = `
:root { --critical:#b00020; --high:#c2410c; --medium:#b08800; --low:#2b6cb0; --ok:#2f855a; --ink:#1a202c; --muted:#4a5568; --line:#e2e8f0; --bg:#f7fafc; }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif; color:var(--ink); background:var(--bg); }
a { color:#1a4fa0; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline:3px solid #f6ad55; outline-offset:2px; }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.5rem; }
.skip:focus { left:.5rem; z-index:10; }
header { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center; padding:.6rem 1rem; background:#1a365d; color:#fff; }
header a, header button { color:#fff; }
header nav { display:flex; gap:0 1rem; flex-wrap:wrap; align-items:center; margin-left:auto; }
header nav a, .account a { display:inline-flex; align-items:center; min-height:44px; padding:0 .25rem; }
.account { display:flex; align-items:center; gap:2rem; }
button.logout { font:inherit; min-height:44px; min-width:44px; padding:0 1rem; border:1px solid #fff; border-radius:6px; background:transparent; color:#fff; cursor:pointer; }
.offline { position:sticky; top:0; z-index:5; margin:0; padding:.7rem 1rem; background:#744210; color:#fff; font-weight:600; }
.offline.back { background:var(--ok); }
header h1 { font-size:1.1rem; margin:0; }
main { padding:1rem; max-width:64rem; margin:0 auto; }
.inline { display:inline; margin:0; }
.linklike { background:none; border:0; padding:0; font:inherit; text-decoration:underline; cursor:pointer; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:1rem; margin:0 0 1rem; }
.alerts { list-style:none; padding:0; margin:0; }
.alerts li, .handled-list li { background:#fff; border:1px solid var(--line); border-left:6px solid var(--muted); border-radius:6px; margin:0 0 .6rem; }
.handled-list { list-style:none; padding:0; margin:0; } .handled-list li { border-left-color:var(--ok); }
a.cardlink { display:grid; gap:.25rem; min-height:44px; padding:.6rem .8rem; color:var(--ink); text-decoration:none; border-radius:6px; }
a.cardlink:hover { background:#edf2f7; }
.phone { white-space:nowrap; font-variant-numeric:tabular-nums; }
.value { overflow-wrap:anywhere; }
.indicator { display:inline-block; margin-right:1rem; }
.alerts li.risk-critical { border-left-color:var(--critical); } .alerts li.risk-high { border-left-color:var(--high); }
.alerts li.risk-medium { border-left-color:var(--medium); } .alerts li.risk-low { border-left-color:var(--low); }
.row { display:flex; flex-wrap:wrap; gap:.2rem .8rem; align-items:baseline; }
.badge { display:inline-block; padding:0 .45rem; border-radius:4px; color:#fff; font-size:.85rem; font-weight:600; }
.badge.critical { background:var(--critical); } .badge.high { background:var(--high); } .badge.medium { background:#8a6d00; } .badge.low { background:var(--low); }
.badge.escalated { background:#553c9a; }
h2 .badge + .badge, h2 .badge { margin-left:.25rem; }
.countdown { font-variant-numeric:tabular-nums; font-weight:600; }
.overdue, .countdown.overdue { color:var(--critical); }
.muted { color:var(--muted); }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; overflow-wrap:anywhere; }
form.stack { display:grid; gap:.6rem; max-width:28rem; }
label { display:grid; gap:.2rem; font-weight:600; }
.field { display:grid; gap:.2rem; }
.hint { color:var(--muted); font-size:.9rem; font-weight:400; margin:0; }
.block { display:block; }
.field-error { color:var(--critical); font-weight:600; margin:0; }
.field.invalid input, .field.invalid select, .field.invalid textarea { border:2px solid var(--critical); }
.note { white-space:pre-wrap; overflow-wrap:anywhere; margin:.2rem 0 0; padding:.3rem .5rem; background:var(--bg); border-radius:4px; }
a.button { display:inline-flex; align-items:center; min-height:44px; padding:0 1rem; border-radius:6px; text-decoration:none; }
a.button.secondary { border:1px solid #1a4fa0; background:#fff; color:#1a4fa0; }
a.back { display:inline-flex; align-items:center; min-height:44px; }
.filters { margin:0 0 1rem; }
.filters summary { min-height:44px; line-height:44px; cursor:pointer; font-weight:600; color:#1a4fa0; }
.filters form { display:grid; gap:.4rem; }
.filters fieldset { display:flex; flex-wrap:wrap; gap:.5rem; margin:0; padding:.5rem; }
label.chip { display:inline-flex; grid-auto-flow:column; align-items:center; gap:.4rem; min-height:44px; padding:0 .8rem; border:1px solid #a0aec0; border-radius:22px; background:#fff; font-weight:400; }
label.chip input[type=checkbox] { width:1.25rem; height:1.25rem; margin:0; }
label.chip select { width:auto; padding:.3rem; }
.searchrow { display:flex; gap:.5rem; } .searchrow input { flex:1; min-width:0; }
ul.plain { padding-left:1.2rem; margin:0; }
.timeline li, ul.plain li { margin:0 0 .4rem; }
.reached-yes { color:var(--ok); }
.revealed { margin:.8rem 0 0; }
input, select { min-height:44px; }
input, select, textarea { font:inherit; padding:.55rem; border:1px solid #a0aec0; border-radius:6px; width:100%; background:#fff; }
fieldset { border:1px solid var(--line); border-radius:6px; }
button.primary { font:inherit; font-weight:600; padding:.65rem 1rem; border-radius:6px; border:0; background:#1a4fa0; color:#fff; cursor:pointer; min-height:44px; }
button.secondary { font:inherit; padding:.5rem 1rem; border-radius:6px; border:1px solid #1a4fa0; background:#fff; color:#1a4fa0; cursor:pointer; min-height:44px; }
#sound-arm { margin:0 0 1rem; }
.duty form { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1rem; margin:0 0 1rem; }
.actions { display:grid; gap:0 1rem; align-items:start; }
.actions form.stack { max-width:none; }
.flash { padding:.6rem .8rem; border-radius:6px; margin:0 0 1rem; }
.flash.ok { background:#e6fffa; border:1px solid #81e6d9; } .flash.error { background:#fff5f5; border:1px solid #feb2b2; }
table { border-collapse:collapse; width:100%; background:#fff; }
th, td { text-align:left; padding:.4rem .5rem; border-bottom:1px solid var(--line); }
ol.timeline { padding-left:1.2rem; margin:0; }
a.tel { display:inline-flex; gap:.5rem; align-items:center; min-height:48px; padding:.4rem 1rem; border-radius:6px; background:var(--ok); color:#fff; font-size:1.3rem; font-weight:700; text-decoration:none; }
.chart { width:100%; max-width:32rem; height:auto; }
@media (max-width: 480px) { dl.facts { grid-template-columns:1fr; gap:0; } dl.facts dd { margin:0 0 .5rem; } }
@media (min-width: 900px) { .actions { grid-template-columns:repeat(2, minmax(0, 1fr)); } }
`;

export const CONSOLE_JS = `
(function () {
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (ms < 0 ? "-" : "") + (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - now;
      // The page's own words for "left" and "overdue" when it gave them; the bare clock otherwise.
      var word = el.getAttribute(left < 0 ? "data-passed" : "data-left");
      el.textContent = word ? word + " " + fmt(Math.abs(left)) : fmt(left);
      el.classList.toggle("overdue", left < 0);
    });
  }
  setInterval(tick, 1000);
  tick();
  // The new-alert bell: a beep made by Web Audio (nothing to download, no push service) and a vibration.
  // Browsers keep audio suspended until the officer has touched the page, so the first tap or key arms it;
  // the hint button shows only while the audio is blocked.
  function bell() {
    var AC = window.AudioContext || window.webkitAudioContext, audio = null;
    var hint = document.getElementById("sound-arm");
    function update() {
      var on = !!audio && audio.state === "running";
      document.body.dataset.sound = on ? "on" : AC ? "blocked" : "none";
      if (hint) hint.hidden = on || !AC;
      if (on) { document.removeEventListener("pointerdown", arm, true); document.removeEventListener("keydown", arm, true); }
    }
    function arm() {
      if (!AC) return;
      try { if (!audio) { audio = new AC(); audio.onstatechange = update; } } catch (e) { return; }
      // resume() stays pending, not rejected, while the browser blocks audio: show the state now.
      if (audio.state === "suspended") audio.resume().then(update, update);
      update();
    }
    document.addEventListener("pointerdown", arm, true);
    document.addEventListener("keydown", arm, true);
    arm();
    return function ring() {
      if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) {} }
      if (!audio || audio.state !== "running") return update();
      [0, 0.3].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime + at;
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.3, t);
        gain.gain.exponentialRampToValueAtTime(0.001, t + 0.25);
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + 0.25);
      });
    };
  }
  function alertIds(root) {
    return Array.prototype.map.call(root.querySelectorAll("[data-alert-id]"), function (el) { return el.getAttribute("data-alert-id"); });
  }
  // "(3) " before the page's own title: the count of unacknowledged alerts the server put on the list.
  function showCount(root) {
    var list = root.querySelector("[data-unacknowledged]");
    var n = list ? Number(list.getAttribute("data-unacknowledged")) : 0;
    document.title = (n > 0 ? "(" + n + ") " : "") + document.title.replace(/^\\(\\d+\\) /, "");
  }
  // Only the fields the chosen outcome takes (an amount, the post to transfer to, what happens next).
  document.querySelectorAll("select[data-outcome-select]").forEach(function (select) {
    function show() {
      select.form.querySelectorAll("[data-show-for]").forEach(function (el) {
        el.hidden = el.getAttribute("data-show-for").split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", show);
    show();
  });
  // A revealed number hides itself when its window ends; the server stops showing it at the same time.
  document.querySelectorAll("[data-reveal-until]").forEach(function (el) {
    var gone = el.parentNode.querySelector("[data-reveal-gone]");
    setTimeout(function () {
      el.remove();
      if (gone) gone.hidden = false;
    }, Math.max(0, Date.parse(el.getAttribute("data-reveal-until")) - Date.now()));
  });
  // Offline: say so at once, since every form would fail and the queue stops refreshing.
  var banner = document.getElementById("offline"), back = null;
  function network() {
    if (!banner) return;
    clearTimeout(back);
    banner.classList.toggle("back", navigator.onLine);
    if (!navigator.onLine) { banner.textContent = banner.getAttribute("data-offline"); banner.hidden = false; return; }
    if (banner.hidden) return;
    banner.textContent = banner.getAttribute("data-online");
    back = setTimeout(function () { banner.hidden = true; }, 4000);
  }
  window.addEventListener("offline", network);
  window.addEventListener("online", network);
  network();
  var queue = document.getElementById("queue");
  if (queue && queue.dataset.refresh) {
    var ring = bell(), seen = new Set(alertIds(queue)), fresh = 0;
    showCount(queue);
    setInterval(function () {
      fetch(queue.dataset.refresh, { credentials: "same-origin", headers: { accept: "text/html" } })
        .then(function (r) { if (r.ok) return r.text(); throw new Error(String(r.status)); })
        .then(function (html) {
          queue.innerHTML = html;
          tick();
          showCount(queue);
          var added = alertIds(queue).filter(function (id) { return !seen.has(id); });
          added.forEach(function (id) { seen.add(id); });
          if (added.length === 0) return;
          fresh += added.length;
          document.body.dataset.newAlerts = String(fresh);
          ring();
        })
        .catch(function () {});
    }, 5000);
  }
})();
`;
