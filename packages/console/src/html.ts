import { int32ToIp } from "@lars/proto";
import type { AgentRouteStatus, ConsoleCallHistoryRow, ConsoleCallStatusRow, ConsoleRoute, ServiceHealth } from "./types.js";

/** Escapes text for HTML content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON safe inside `<script type="application/json">`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

export function hostText(ip: number, port: number): string {
  return `${int32ToIp(ip)}:${port}`;
}

function csrfField(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

export interface LayoutOptions {
  readonly title: string;
  readonly active?: "routes" | "live" | "history" | "services";
  /** The session's CSRF token: present when logged in (the logout button needs it). */
  readonly csrf?: string;
  readonly flash?: string;
  readonly error?: string;
  readonly head?: string;
  readonly scripts?: readonly string[];
}

export function layout(o: LayoutOptions, body: string): string {
  const nav = (id: NonNullable<LayoutOptions["active"]>, href: string, label: string) =>
    `<a href="${href}"${o.active === id ? ' class="active" aria-current="page"' : ""}>${label}</a>`;
  const header =
    o.csrf === undefined
      ? ""
      : `<nav>${nav("routes", "/routes", "Routes")}${nav("live", "/live", "Live hosts")}${nav("history", "/history", "Call history")}${nav("services", "/services", "Services")}` +
        `<form method="post" action="/logout" class="logout">${csrfField(o.csrf)}<button type="submit">Log out</button></form></nav>`;
  const flash = o.flash === undefined ? "" : `<p class="flash" role="status">${esc(o.flash)}</p>`;
  const error = o.error === undefined ? "" : `<p class="error" role="alert">${esc(o.error)}</p>`;
  const scripts = (o.scripts ?? []).map((s) => `<script src="${esc(s)}" defer></script>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)} · Lars console</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/console.css">${o.head ?? ""}${scripts}</head>
<body><header><h1><a href="/">Lars console</a></h1>${header}</header><main>
<h2>${esc(o.title)}</h2>${flash}${error}
${body}
</main></body></html>
`;
}

export function loginPage(o: { error?: string; next: string; methods: string }): string {
  return layout(
    { title: "Log in", ...(o.error !== undefined ? { error: o.error } : {}) },
    `<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="${esc(o.next)}">
<label>${esc(o.methods)} <input type="password" name="secret" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>`,
  );
}

export interface RoutesView {
  readonly routes: readonly ConsoleRoute[];
  readonly csrf: string;
  readonly filter: { readonly modid: string; readonly cmdid: string };
  /** What the add-host form held (kept after an error). */
  readonly add?: { readonly modid?: string; readonly cmdid?: string; readonly ip?: string; readonly port?: string };
  readonly flash?: string;
  readonly error?: string;
}

/** Routes listed on one page at most; a search narrows the rest. */
export const MAX_ROUTES_SHOWN = 500;

export function routesPage(v: RoutesView): string {
  const a = v.add ?? {};
  const shown = v.routes.length > MAX_ROUTES_SHOWN ? v.routes.slice(0, MAX_ROUTES_SHOWN) : v.routes;
  const search = `<form method="get" action="/routes" class="inline" role="search">
<label>modid <input name="modid" value="${esc(v.filter.modid)}" inputmode="numeric" size="8"></label>
<label>cmdid <input name="cmdid" value="${esc(v.filter.cmdid)}" inputmode="numeric" size="8"></label>
<button type="submit">Search</button> <a href="/routes">all</a></form>`;
  const add = `<form method="post" action="/routes/add-host" class="inline" id="add-host">${csrfField(v.csrf)}
<label>modid <input name="modid" value="${esc(a.modid ?? "")}" inputmode="numeric" size="8" required></label>
<label>cmdid <input name="cmdid" value="${esc(a.cmdid ?? "")}" inputmode="numeric" size="8" required></label>
<label>ip <input name="ip" value="${esc(a.ip ?? "")}" placeholder="192.168.1.177" size="15" required></label>
<label>port <input name="port" value="${esc(a.port ?? "")}" inputmode="numeric" size="6" required></label>
<button type="submit">Add host</button></form>`;
  const rows = shown
    .map((r) => {
      const key = `${r.modid}:${r.cmdid}`;
      const ids = `<input type="hidden" name="modid" value="${r.modid}"><input type="hidden" name="cmdid" value="${r.cmdid}">`;
      const hosts = r.hosts
        .map((h) => {
          const text = hostText(h.ip, h.port);
          return `<li data-host="${esc(text)}"><code>${esc(text)}</code>
<form method="post" action="/routes/remove-host" class="inline">${csrfField(v.csrf)}${ids}<input type="hidden" name="ip" value="${esc(int32ToIp(h.ip))}"><input type="hidden" name="port" value="${h.port}"><button type="submit" class="small" title="remove ${esc(text)}">remove</button></form></li>`;
        })
        .join("");
      const replace = `<details><summary>replace hosts</summary><form method="post" action="/routes/replace-hosts">${csrfField(v.csrf)}${ids}
<textarea name="hosts" rows="3" cols="30">${esc(r.hosts.map((h) => hostText(h.ip, h.port)).join("\n"))}</textarea><br><button type="submit">Replace</button></form></details>`;
      const del = `<form method="post" action="/routes/delete" class="inline">${csrfField(v.csrf)}${ids}<button type="submit" class="danger">delete route</button></form>`;
      return `<tr data-route="${key}"><td>${r.modid}</td><td>${r.cmdid}</td><td><ul class="hosts">${hosts}</ul></td><td>${replace}${del} <a href="/history?modid=${r.modid}&amp;cmdid=${r.cmdid}">history</a></td></tr>`;
    })
    .join("\n");
  const table =
    v.routes.length === 0
      ? `<p class="empty">No routes${v.filter.modid !== "" || v.filter.cmdid !== "" ? " match" : " yet"}.</p>`
      : `<table id="routes"><thead><tr><th>modid</th><th>cmdid</th><th>hosts</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>`;
  return layout(
    { title: "Routes", active: "routes", csrf: v.csrf, ...(v.flash !== undefined ? { flash: v.flash } : {}), ...(v.error !== undefined ? { error: v.error } : {}) },
    `<section>${search}</section><section><h3>Add a host</h3>${add}</section><section><h3>${v.routes.length} route${v.routes.length === 1 ? "" : "s"}${
      shown.length < v.routes.length ? ` <small class="hint">(the first ${shown.length} shown: search by modid or cmdid for the others)</small>` : ""
    }</h3>${table}</section>`,
  );
}

function ago(ms: number, now: number): string {
  if (ms <= 0) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return `${s}s ago`;
}

function uptime(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ""}${d > 0 || h > 0 ? `${h}h ` : ""}${m}m ${s % 60}s`;
}

function agentRoutesTable(service: string, routes: readonly AgentRouteStatus[], now: number): string {
  if (routes.length === 0) return `<p class="empty">This agent serves no route yet.</p>`;
  const cols = ["host", "state", "vsucc", "verr", "rsucc", "rerr", "continSucc", "continErr", "picks", "probes"];
  return routes
    .map((r) => {
      const rows = r.hosts
        .map((h) => {
          const host = `${h.ip}:${h.port}`;
          return `<tr data-host="${esc(`${r.modid}:${r.cmdid} ${host}`)}" data-state="${esc(h.state)}" class="${h.state === "overload" ? "overload" : "idle"}"><td><code>${esc(host)}</code></td><td><span class="badge ${h.state === "overload" ? "overload" : "idle"}">${esc(h.state)}</span></td>` +
            `<td>${h.vsucc}</td><td>${h.verr}</td><td>${h.rsucc}</td><td>${h.rerr}</td><td>${h.continSucc}</td><td>${h.continErr}</td><td>${h.picks}</td><td>${h.probes}</td></tr>`;
        })
        .join("");
      const over = r.hosts.filter((h) => h.state === "overload").length;
      return `<div class="route" data-agent="${esc(service)}" data-route="${r.modid}:${r.cmdid}"><h4>route ${r.modid}:${r.cmdid} <small>${esc(r.state)}, updated ${esc(ago(r.updatedAt, now))}, ${r.hosts.length - over} idle / ${over} overload</small></h4>
<table class="live"><thead><tr>${cols.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table></div>`;
    })
    .join("\n");
}

/** The live host state of every agent (also pushed over /events). */
export function liveFragment(healths: readonly ServiceHealth[], now = Date.now()): string {
  const agents = healths.filter((h) => h.kind === "agent");
  if (agents.length === 0) return `<p class="empty">No agent is configured (options.services, or [console] services in the config file).</p>`;
  return agents
    .map((a) => {
      const state = a.up ? `<span class="badge up">up</span>` : `<span class="badge down">down</span> ${esc(a.error ?? "")}`;
      return `<section class="agent" data-service="${esc(a.name)}"><h3>${esc(a.name)} ${state} <small>${esc(a.statusUrl)}, checked ${esc(ago(a.checkedAt, now))}</small></h3>${a.up ? agentRoutesTable(a.name, a.routes ?? [], now) : ""}</section>`;
    })
    .join("\n");
}

/** The health of every service (also pushed over /events). */
export function servicesFragment(healths: readonly ServiceHealth[], now = Date.now()): string {
  if (healths.length === 0) return `<p class="empty">No service is configured.</p>`;
  const rows = healths
    .map((h) => {
      const stats = Object.entries(h.stats)
        .map(([k, v]) => `<span class="stat"><b>${esc(k)}</b> ${esc(v)}</span>`)
        .join(" ");
      return `<tr data-service="${esc(h.name)}" data-up="${h.up}"><td>${esc(h.name)}</td><td>${esc(h.kind)}</td><td>${h.up ? `<span class="badge up">up</span>` : `<span class="badge down">down</span> <small>${esc(h.error ?? "")}</small>`}</td>` +
        `<td>${esc(h.version ?? "")}</td><td>${esc(uptime(h.uptimeSeconds))}</td><td>${h.pid ?? ""}</td><td class="stats">${stats}</td><td><small>${esc(h.statusUrl)}<br>checked ${esc(ago(h.checkedAt, now))}</small></td></tr>`;
    })
    .join("\n");
  return `<table id="services"><thead><tr><th>name</th><th>kind</th><th>health</th><th>version</th><th>uptime</th><th>pid</th><th>stats</th><th>status URL</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

export function livePage(csrf: string, healths: readonly ServiceHealth[]): string {
  return layout(
    { title: "Live hosts", active: "live", csrf, scripts: ["/assets/console.js"] },
    `<p class="hint">Each agent's view of its hosts, from its /status, refreshed as it changes (<span id="stream-state">connecting…</span>).</p><div id="live" data-live="live">${liveFragment(healths)}</div>`,
  );
}

export function servicesPage(csrf: string, healths: readonly ServiceHealth[]): string {
  return layout(
    { title: "Services", active: "services", csrf, scripts: ["/assets/console.js"] },
    `<p class="hint">From each service's /status (<span id="stream-state">connecting…</span>).</p><div id="services-health" data-live="services">${servicesFragment(healths)}</div>`,
  );
}

export interface HistoryView {
  readonly csrf: string;
  readonly form: { readonly modid: string; readonly cmdid: string; readonly minutes: string };
  readonly route?: { readonly modid: number; readonly cmdid: number };
  readonly history: readonly ConsoleCallHistoryRow[];
  readonly status: readonly ConsoleCallStatusRow[];
  readonly error?: string;
}

/** uPlot's data: x = window starts, then per host its succ and err per window (null where it reported nothing). */
export function chartData(rows: readonly ConsoleCallHistoryRow[]): { x: number[]; hosts: { label: string; succ: (number | null)[]; err: (number | null)[]; overload: number }[] } {
  const xs = [...new Set(rows.map((r) => r.windowStart))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const hosts = new Map<string, { label: string; succ: (number | null)[]; err: (number | null)[]; overload: number }>();
  for (const r of rows) {
    const label = hostText(r.ip, r.port);
    let h = hosts.get(label);
    if (h === undefined) {
      h = { label, succ: xs.map(() => null), err: xs.map(() => null), overload: 0 };
      hosts.set(label, h);
    }
    const i = index.get(r.windowStart)!;
    h.succ[i] = (h.succ[i] ?? 0) + r.succ;
    h.err[i] = (h.err[i] ?? 0) + r.err;
    if (r.overload) h.overload++;
  }
  return { x: xs, hosts: [...hosts.values()].sort((a, b) => (a.label < b.label ? -1 : 1)) };
}

export function historyPage(v: HistoryView): string {
  const form = `<form method="get" action="/history" class="inline">
<label>modid <input name="modid" value="${esc(v.form.modid)}" inputmode="numeric" size="8" required></label>
<label>cmdid <input name="cmdid" value="${esc(v.form.cmdid)}" inputmode="numeric" size="8" required></label>
<label>last <input name="minutes" value="${esc(v.form.minutes)}" inputmode="numeric" size="5"> minutes</label>
<button type="submit">Show</button></form>`;
  let body = `<section>${form}</section>`;
  if (v.route !== undefined) {
    const data = chartData(v.history);
    body +=
      data.x.length === 0
        ? `<p class="empty">No call history for ${v.route.modid}:${v.route.cmdid} in this period (the reporter writes it when [history] enabled = true).</p>`
        : `<section><h3>Successful calls per window</h3><div class="chart" id="chart-succ"></div><h3>Failed calls per window</h3><div class="chart" id="chart-err"></div>
<table><thead><tr><th>host</th><th>windows</th><th>succ</th><th>err</th><th>windows in overload</th></tr></thead><tbody>${data.hosts
            .map((h) => `<tr><td><code>${esc(h.label)}</code></td><td>${h.succ.filter((s) => s !== null).length}</td><td>${h.succ.reduce<number>((a, b) => a + (b ?? 0), 0)}</td><td>${h.err.reduce<number>((a, b) => a + (b ?? 0), 0)}</td><td>${h.overload}</td></tr>`)
            .join("")}</tbody></table></section>
<script type="application/json" id="history-data">${scriptJson(data)}</script>`;
    const status = v.status
      .map(
        (s) =>
          `<tr class="${s.overload ? "overload" : "idle"}"><td><code>${esc(hostText(s.ip, s.port))}</code></td><td>${esc(int32ToIp(s.caller))}</td><td>${s.succCnt}</td><td>${s.errCnt}</td><td>${esc(new Date(s.ts * 1000).toISOString())}</td><td>${s.overload ? `<span class="badge overload">overload</span>` : `<span class="badge idle">idle</span>`}</td></tr>`,
      )
      .join("");
    body += `<section><h3>Latest call status (ServerCallStatus)</h3>${
      v.status.length === 0 ? `<p class="empty">No agent has reported on this route.</p>` : `<table id="call-status"><thead><tr><th>host</th><th>caller</th><th>succ</th><th>err</th><th>reported</th><th>state</th></tr></thead><tbody>${status}</tbody></table>`
    }</section>`;
  }
  return layout(
    {
      title: v.route === undefined ? "Call history" : `Call history of ${v.route.modid}:${v.route.cmdid}`,
      active: "history",
      csrf: v.csrf,
      ...(v.error !== undefined ? { error: v.error } : {}),
      head: v.route === undefined ? "" : `<link rel="stylesheet" href="/assets/uplot.min.css">`,
      scripts: v.route === undefined ? [] : ["/assets/uplot.iife.min.js", "/assets/console.js"],
    },
    body,
  );
}

export function messagePage(title: string, message: string, csrf?: string): string {
  return layout({ title, ...(csrf !== undefined ? { csrf } : {}) }, `<p>${esc(message)}</p><p><a href="/">Back to the console</a></p>`);
}
