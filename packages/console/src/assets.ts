/** The console's own browser script: live updates over /events, uPlot charts. No build step, no framework. */
export const CONSOLE_JS = `"use strict";
(function () {
  var targets = { live: document.getElementById("live"), services: document.getElementById("services-health") };
  var state = document.getElementById("stream-state");
  if (targets.live || targets.services) {
    // Only the fragment this page shows, and only when it changed.
    var view = targets.live && targets.services ? "" : targets.live ? "?view=live" : "?view=services";
    var source = new EventSource("/events" + view);
    source.addEventListener("open", function () { if (state) state.textContent = "live"; });
    source.addEventListener("error", function () { if (state) state.textContent = "reconnecting…"; });
    source.addEventListener("status", function (ev) {
      var msg = JSON.parse(ev.data);
      // fragments rendered (and escaped) by the console itself
      if (targets.live && msg.html.live !== undefined) targets.live.innerHTML = msg.html.live;
      if (targets.services && msg.html.services !== undefined) targets.services.innerHTML = msg.html.services;
      if (state) state.textContent = "live, updated " + new Date().toLocaleTimeString();
    });
  }
  var dataEl = document.getElementById("history-data");
  if (dataEl && window.uPlot) {
    var data = JSON.parse(dataEl.textContent);
    var colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    function chart(id, key) {
      var el = document.getElementById(id);
      if (!el) return;
      var series = [{}];
      var columns = [data.x];
      data.hosts.forEach(function (h, i) {
        series.push({ label: h.label, stroke: colors[i % colors.length], width: 2, spanGaps: false });
        columns.push(h[key]);
      });
      var width = Math.max(320, Math.min(1000, el.clientWidth || 900));
      new window.uPlot({ width: width, height: 260, series: series, scales: { x: { time: true } }, axes: [{}, { label: key === "succ" ? "succ" : "err" }] }, columns, el);
    }
    chart("chart-succ", "succ");
    chart("chart-err", "err");
  }
})();
`;

/** The console's style sheet. */
export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 2rem; background: #1b2a3a; color: #fff; padding: .5rem 1.5rem; }
header h1 { font-size: 1.2rem; margin: 0; } header a { color: #fff; text-decoration: none; }
nav { display: flex; gap: 1rem; align-items: center; flex: 1; }
nav a { padding: .3rem .6rem; border-radius: 4px; } nav a.active { background: #35506d; }
nav .logout { margin-left: auto; }
main { padding: 1rem 1.5rem; max-width: 1200px; }
table { border-collapse: collapse; background: #fff; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d5d9de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
form.inline { display: inline-flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 0; }
ul.hosts { list-style: none; margin: 0; padding: 0; } ul.hosts li { display: flex; gap: .5rem; align-items: center; margin: .1rem 0; }
button { cursor: pointer; } button.small { font-size: .75rem; } button.danger { color: #a40000; }
.flash { background: #e3f4e1; border: 1px solid #9bcf94; padding: .5rem; }
.error { background: #fde8e8; border: 1px solid #e29a9a; padding: .5rem; }
.empty, .hint { color: #5b6570; }
.badge { padding: .05rem .45rem; border-radius: 3px; font-size: .85rem; color: #fff; }
.badge.idle, .badge.up { background: #2f8f46; } .badge.overload, .badge.down { background: #c0392b; }
tr.overload td { background: #fff1f0; }
.stat { display: inline-block; margin-right: .6rem; font-size: .85rem; } .stat b { font-weight: 600; color: #444; }
.chart { background: #fff; margin-bottom: 1rem; }
.login label { display: block; margin: 1rem 0; }
`;

/** The console's icon. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1b2a3a"/><path d="M4 3v10h8v-2H6V3z" fill="#fff"/></svg>`;
