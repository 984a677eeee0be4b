#include "admin/dashboard_page.hpp"

namespace fulcrum::admin {

std::string_view dashboard_html() {
  static constexpr std::string_view kPage = R"FULCRUM(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Fulcrum</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --wait: #9a6700; --drain: #6e7781; --fg: #1f2328; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .status { font-size: 12px; opacity: .8; }
  main { padding: 12px 20px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 14px; padding: 10px 14px; }
  h2 { font-size: 15px; margin: 4px 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
  th { font-size: 12px; color: #57606a; font-weight: 600; }
  .state { font-weight: 600; }
  .healthy { color: var(--ok); } .unhealthy { color: var(--bad); } .initial { color: var(--wait); }
  .draining, .unused { color: var(--drain); }
  .reason { font-size: 12px; color: #57606a; }
  .source { font-size: 11px; color: #57606a; }
  canvas { display: block; }
  button { font: inherit; font-size: 12px; padding: 2px 10px; border-radius: 4px; border: 1px solid var(--line); background: #f6f8fa; cursor: pointer; }
  button:hover { background: #eaeef2; }
  .error { color: var(--bad); }
  .muted { color: #57606a; font-size: 12px; }
</style>
</head>
<body>
<header><h1>Fulcrum</h1><span class="status" id="status">connecting…</span></header>
<main>
  <section><h2>Listeners</h2><table id="listeners"><thead><tr><th>name</th><th>listen</th><th>protocol</th>
    <th>scheme</th><th>active</th><th>req/s</th><th>p99 ms</th><th>default</th></tr></thead><tbody></tbody></table></section>
  <div id="groups"></div>
</main>
<script>
"use strict";
const HISTORY = 60;
const series = new Map();  // "group|address" -> {rps: [], p99: []}
let token = sessionStorage.getItem("fulcrum-token") || "";
let busy = false;

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

async function api(path, options) {
  const o = Object.assign({}, options || {});
  o.headers = headers(o.headers);
  const response = await fetch(path, o);
  if (response.status === 401) {
    const entered = window.prompt("Admin API token (admin.token_file):", "");
    if (entered === null) throw new Error("a token is needed");
    token = entered.trim();
    sessionStorage.setItem("fulcrum-token", token);
    return api(path, options);
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children || []) node.appendChild(child);
  return node;
}

function fmt(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function draw(canvas, values, colour) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const points = values.filter(v => v !== null);
  const max = Math.max(1e-9, ...points);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = (i + HISTORY - values.length) * (w / (HISTORY - 1));
    const y = h - 2 - (v === null ? 0 : v / max) * (h - 4);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#57606a";
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillText(fmt(max, max < 10 ? 1 : 0), 2, 10);
}

function push(list, value) {
  list.push(value);
  while (list.length > HISTORY) list.shift();
}

async function setDrain(group, address, drain) {
  try {
    await api("/api/v1/target-groups/" + encodeURIComponent(group) + "/targets/" + encodeURIComponent(address), {
      method: "PATCH", headers: {"Content-Type": "application/json"}, body: JSON.stringify({drain: drain})});
    await refresh();
  } catch (e) {
    document.getElementById("status").textContent = "error: " + e.message;
  }
}

function renderListeners(listeners) {
  const body = document.querySelector("#listeners tbody");
  body.replaceChildren(...listeners.map(l => el("tr", {"data-listener": l.name}, [
    el("td", {text: l.name}), el("td", {text: l.listen}), el("td", {text: l.protocol}),
    el("td", {text: l.scheme, title: l.scheme === "internal" ? "private networks only" : "every client"}),
    el("td", {text: String(l.active_connections ?? "–")}), el("td", {text: fmt(l.requests_per_second, 1)}),
    el("td", {text: fmt(l.latency_ms && l.latency_ms.p99, 2)}),
    el("td", {text: (l.default.forward || []).map(f => f.group).join(", ") || Object.keys(l.default)[0]})])));
}

// The two health sources behind the state, each with its reason: active checks, passive ejection.
function healthSources(t) {
  if (!t.active) return [];
  const a = t.active, p = t.passive;
  const active = "active: " + a.state + (a.reason_code ? " · " + a.reason_code + ": " + a.reason : "");
  let passive = "passive: off";
  if (p.enabled && p.ejected) {
    passive = "passive: ejected until " + new Date(p.until).toLocaleTimeString() + " · " + p.reason;
  } else if (p.enabled) {
    passive = "passive: not ejected" + (p.reason_code ? " · " + p.reason_code + ": " + p.reason : "");
  }
  return [el("div", {class: "source", text: active}), el("div", {class: "source", text: passive})];
}

function renderGroup(group) {
  const id = "group-" + group.name;
  let section = document.getElementById(id);
  if (!section) {
    section = el("section", {id: id, "data-group": group.name});
    document.getElementById("groups").appendChild(section);
  }
  const counts = Object.entries(group.states).filter(([, n]) => n > 0).map(([s, n]) => n + " " + s).join(", ");
  const title = el("h2", {text: "Target group " + group.name + " · " + group.algorithm + " · " + (counts || "no targets") +
                                (group.failing_open ? " · failing open" : "")});
  const head = el("tr", {}, ["target", "weight", "state", "since", "active", "req/s", "p50 ms", "p99 ms",
                             "requests/s (60 s)", "p99 latency (60 s)", ""].map(t => el("th", {text: t})));
  const rows = group.targets.map(t => {
    const key = group.name + "|" + t.address;
    if (!series.has(key)) series.set(key, {rps: [], p99: []});
    const s = series.get(key);
    push(s.rps, t.requests_per_second);
    push(s.p99, t.latency_ms ? t.latency_ms.p99 : null);
    const rps = el("canvas", {width: "180", height: "34", class: "rps"});
    const p99 = el("canvas", {width: "180", height: "34", class: "p99"});
    draw(rps, s.rps, "#0969da");
    draw(p99, s.p99, "#8250df");
    const drained = t.drained_by_operator === true;
    const button = el("button", {class: drained ? "enable" : "drain", text: drained ? "Enable" : "Drain"});
    button.addEventListener("click", () => setDrain(group.name, t.address, !drained));
    const state = el("span", {class: "state " + t.state, text: t.state});
    const since = t.since ? new Date(t.since).toLocaleTimeString() : "–";
    return el("tr", {"data-target": t.address, "data-state": t.state}, [
      el("td", {text: t.address + (t.source !== "file" ? " (" + t.source + ")" : "") + (t.tier ? " tier " + t.tier : "") +
                      (t.removed ? " (removed)" : "")}),
      el("td", {text: String(t.weight)}),
      el("td", {}, [state, el("div", {class: "reason", text: t.reason_code + ": " + t.reason}), ...healthSources(t),
                    ...(t.dns_problem ? [el("div", {class: "source", text: "dns: " + t.dns_problem})] : [])]),
      el("td", {text: since}), el("td", {text: String(t.active_connections)}),
      el("td", {text: fmt(t.requests_per_second, 1)}),
      el("td", {text: fmt(t.latency_ms && t.latency_ms.p50, 2)}), el("td", {text: fmt(t.latency_ms && t.latency_ms.p99, 2)}),
      el("td", {}, [rps]), el("td", {}, [p99]), el("td", {}, t.removed ? [] : [button])]);
  });
  section.replaceChildren(title, el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)]));
}

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const [listeners, groups] = await Promise.all([api("/api/v1/listeners"), api("/api/v1/target-groups")]);
    renderListeners(listeners);
    const details = await Promise.all(groups.map(g => api("/api/v1/target-groups/" + encodeURIComponent(g.name))));
    details.forEach(renderGroup);
    const names = new Set(groups.map(g => "group-" + g.name));
    for (const section of [...document.getElementById("groups").children]) {
      if (!names.has(section.id)) section.remove();
    }
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("status").textContent = "error: " + e.message;
  } finally {
    busy = false;
  }
}

refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)FULCRUM";
  return kPage;
}

}  // namespace fulcrum::admin
