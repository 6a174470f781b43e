// The live dashboard: polls GET /dashboard and GET /workers/series once a second and redraws.
"use strict";

const POLL_MS = 1000;
const WINDOW_S = 120; // seconds of history on the charts
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

const $ = (id) => document.getElementById(id);
const cpu = new Map(); // host -> [[unix time, cpu %], ...], oldest first
const queueDepth = []; // [[unix time, depth], ...]
// host -> [[report time, cpu_periods, cpu_throttled_periods, cpu_throttled_seconds], ...]: cumulative
// counters from GET /dashboard's workers, kept over the window so their differences cover it.
const throttling = new Map();
let since = 0; // the server's `now` at the last series poll
let serverNow = 0;

// The API's bearer token (API_TOKEN), which it requires when published beyond loopback: open the page
// once as http://HOST:PORT/#token=<API_TOKEN>. The page keeps it for this tab only (sessionStorage) and
// drops it from the address bar, so it stays out of the history and of a copied link; the fragment is
// never sent to the server.
const TOKEN_KEY = "cpu-contrast-api-token";
const apiToken = takeToken();

function takeToken() {
  const match = location.hash.match(/(?:^#|&)token=([^&]*)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function getJson(url, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (apiToken) headers.Authorization = `Bearer ${apiToken}`;
  const response = await fetch(url, { ...options, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(describeError(response.status, body));
  return body;
}

function describeError(status, body) {
  if (status === 401) return "401: this API wants its token: open this page as /#token=<API_TOKEN>";
  const detail = body && body.detail;
  if (Array.isArray(detail)) return detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ");
  return `${status}: ${detail || "error"}`;
}

// Lines on a canvas: `series` is [{name, color, points: [[t, y], ...]}], x over the last WINDOW_S seconds.
function drawLines(canvas, series, yMin) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr;
  const ctx = canvas.getContext("2d");
  ctx.scale(dpr, dpr);
  const left = 40, right = 8, top = 8, bottom = 20;
  const peak = Math.max(yMin, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const step = niceStep(peak / 4);
  const yMax = Math.ceil(peak / step) * step;
  const x = (t) => left + ((t - (serverNow - WINDOW_S)) / WINDOW_S) * (w - left - right);
  const y = (v) => top + (1 - v / yMax) * (h - top - bottom);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#6b7385";
  ctx.strokeStyle = "#e3e6ec";
  for (let v = 0; v <= yMax; v += step) {
    ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(w - right, y(v)); ctx.stroke();
    ctx.fillText(String(Math.round(v)), 4, y(v) + 4);
  }
  for (let s = 0; s <= WINDOW_S; s += 30) ctx.fillText(`-${WINDOW_S - s}s`, x(serverNow - WINDOW_S + s) - 12, h - 4);
  ctx.lineWidth = 2;
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    s.points.forEach(([t, v], i) => (i ? ctx.lineTo(x(t), y(v)) : ctx.moveTo(x(t), y(v))));
    ctx.stroke();
  }
}

// The smallest of 1, 2, 5, 10, 20, 50... at least `v`: round steps between grid lines.
function niceStep(v) {
  const unit = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return [1, 2, 5, 10].map((m) => m * unit).find((s) => s >= v);
}

async function pollSeries() {
  const body = await getJson(`/workers/series?since=${since}`);
  since = serverNow = body.now;
  for (const { host, points } of body.series) cpu.set(host, (cpu.get(host) || []).concat(points));
  for (const [host, points] of cpu) {
    const kept = points.filter(([t]) => t >= serverNow - WINDOW_S);
    if (kept.length) cpu.set(host, kept); else cpu.delete(host); // a container gone for the whole window
  }
}

function trackThrottling(workers, now) {
  for (const w of workers) {
    if (w.cpu_periods === null || w.cpu_periods === undefined) continue;
    const points = throttling.get(w.host) || [];
    if (!points.length || points[points.length - 1][0] !== w.updated_at) {
      points.push([w.updated_at, w.cpu_periods, w.cpu_throttled_periods, w.cpu_throttled_seconds]);
    }
    while (points.length > 2 && points[1][0] <= now - WINDOW_S) points.shift();
    throttling.set(w.host, points);
  }
  const live = new Set(workers.map((w) => w.host));
  for (const host of throttling.keys()) if (!live.has(host)) throttling.delete(host);
}

// Throttling over the window: {periods, throttled, seconds}, or null before two reports.
function throttledOver(points) {
  if (!points || points.length < 2) return null;
  const [a, b] = [points[0], points[points.length - 1]];
  return { periods: b[1] - a[1], throttled: b[2] - a[2], seconds: b[3] - a[3] };
}

// "12 % of periods, 3.4 s" ("no quota" when none was counted: unlimited or pinned); "" before two reports.
function describeThrottling(t, quota) {
  if (!t) return "";
  if (!t.periods) return quota === null ? "no quota" : "0 % of periods";
  return `${((100 * t.throttled) / t.periods).toFixed(0)} % of periods, ${t.seconds.toFixed(1)} s`;
}

function renderCpu(workers) {
  const hosts = [...cpu.keys()].sort();
  const series = hosts.map((host, i) => ({ name: host, color: COLORS[i % COLORS.length], points: cpu.get(host) }));
  const quota = Math.max(1, ...workers.map((w) => w.cpu_quota || 1));
  const canvas = $("cpu-chart");
  canvas.dataset.seriesCount = String(series.length);
  canvas.dataset.hosts = hosts.join(",");
  drawLines(canvas, series, 100 * quota);
  const byHost = new Map(workers.map((w) => [w.host, w]));
  $("cpu-legend").replaceChildren(...series.map((s) => {
    const li = document.createElement("li");
    const w = byHost.get(s.name);
    const last = s.points[s.points.length - 1][1];
    const t = throttledOver(throttling.get(s.name));
    li.dataset.host = s.name;
    li.dataset.throttledPeriods = t ? t.throttled : "";
    li.dataset.periods = t ? t.periods : "";
    li.innerHTML = `<i style="background:${s.color}"></i>`;
    const throttled = w && t ? ` · throttled ${describeThrottling(t, w.cpu_quota)}` : "";
    li.append(`${s.name}: ${last.toFixed(0)} %` + (w ? `${w.consumers > 1 ? ` · ${w.consumers} consumers` : ""} · pool ${w.pool_processes} · ${w.jobs_done} jobs, ${w.chunks_done} chunks${throttled}` : " · gone"));
    return li;
  }));
}

// 1536 -> "1.5 KiB"; null -> "–".
function humanBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return i ? `${n.toFixed(1)} ${units[i]}` : `${n} B`;
}

// The bytes tile: Redis's counters, the jobs' read and pickled, the workers' network (since each started).
function describeBytes(d) {
  if (!d.bytes) return "–";
  const b = d.bytes;
  const known = (key) => d.workers.filter((w) => w[key] !== null && w[key] !== undefined);
  const total = (key) => (known(key).length ? known(key).reduce((t, w) => t + w[key], 0) : null);
  return `Redis ${humanBytes(b.redis_in)} / ${humanBytes(b.redis_out)} · jobs ${humanBytes(b.jobs_read)} / ` +
    `${humanBytes(b.jobs_pickled)} · workers ${humanBytes(total("net_rx_bytes"))} / ${humanBytes(total("net_tx_bytes"))}`;
}

function renderTiles(d) {
  // Ready: registered with RQ, pool whole (GET /workers `ready`; GET /health `workers_ready`).
  const ready = d.workers.filter((w) => w.ready).length;
  $("workers").textContent = ready === d.workers.length ? `${ready}` : `${ready} of ${d.workers.length}`;
  $("workers-note").textContent = ready ? "" : "none: jobs wait in the queue until a worker starts (make up)";
  $("pool").textContent = d.pool_processes;
  $("quota").textContent = d.cpu_quota === null ? "unlimited" : `${d.cpu_quota} CPU`;
  trackThrottling(d.workers, d.now);
  const all = [...throttling.values()].map(throttledOver).filter((t) => t);
  const sum = (key) => all.reduce((total, t) => total + t[key], 0);
  $("throttled").textContent = all.length ? describeThrottling({ periods: sum("periods"), throttled: sum("throttled"), seconds: sum("seconds") }, d.cpu_quota) : "–";
  $("queue-depth").textContent = d.queue.depth;
  $("jobs-per-second").textContent = d.jobs_per_second.toFixed(2);
  $("bytes").textContent = describeBytes(d);
  const l = d.latency;
  $("latency").textContent = l.jobs ? [l.p50, l.p95, l.p99].map((s) => s.toFixed(2)).join(" / ") + " s" : "–";
  queueDepth.push([d.now, d.queue.depth]);
  while (queueDepth.length && queueDepth[0][0] < d.now - WINDOW_S) queueDepth.shift();
  drawLines($("queue-chart"), [{ name: "queue", color: "#7c3aed", points: queueDepth }], 4);
}

const ACTIVE = new Set(["queued", "started"]);
const CELLS = ["job", "kernel", "params", "mode", "status", "progress", "hosts", "answer", "latency", "actions"];

// Rows are updated in place (never rebuilt), so a cancel button does not vanish under the pointer.
function renderJobs(jobs) {
  const tbody = $("jobs").tBodies[0];
  const rows = new Map([...tbody.rows].map((tr) => [tr.dataset.jobId, tr]));
  jobs.forEach((job, i) => {
    const tr = rows.get(job.id) || newRow(job.id);
    rows.delete(job.id);
    const c = Object.fromEntries(CELLS.map((name, k) => [name, tr.cells[k]]));
    tr.dataset.status = job.status;
    c.kernel.textContent = job.kernel;
    c.params.textContent = Object.entries(job.params).map(([k, v]) => `${k}=${typeof v === "number" ? v.toLocaleString("en-US") : v}`).join(" ");
    c.mode.textContent = job.mode;
    c.status.textContent = job.status;
    const p = job.progress;
    c.progress.querySelector("progress").max = p.chunks_total || 1;
    c.progress.querySelector("progress").value = p.chunks_done;
    c.progress.querySelector("span").textContent = ` ${p.chunks_done}/${p.chunks_total || "?"}`;
    // Chunks per container once counted; before that, where the job's pools started.
    const ran = Object.entries(job.hosts).map(([h, n]) => `${h} (${n})`);
    c.hosts.textContent = (ran.length ? ran : Object.keys(job.pool_processes).map((h) => `${h} (running)`)).join(", ") || "–";
    c.answer.dataset.count = job.result ? job.result.count : "";
    c.answer.textContent = job.result ? job.result.count.toLocaleString("en-US") : "";
    const latency = job.ended_at && job.created_at ? job.ended_at - job.created_at : null;
    c.latency.textContent = latency === null ? "" : `${latency.toFixed(2)} s`;
    c.actions.querySelector("button").hidden = !ACTIVE.has(job.status);
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
  });
  for (const tr of rows.values()) tr.remove();
}

function newRow(id) {
  const tr = document.createElement("tr");
  tr.dataset.jobId = id;
  for (const name of CELLS) tr.insertCell().className = name;
  tr.cells[0].textContent = id.slice(0, 8);
  tr.cells[0].title = id;
  tr.cells[5].innerHTML = "<progress></progress><span></span>";
  const button = document.createElement("button");
  button.textContent = "Cancel";
  button.className = "cancel";
  button.onclick = () => cancel(id);
  tr.cells[9].append(button);
  return tr;
}

async function cancel(id) {
  try {
    await getJson(`/jobs/${id}/cancel`, { method: "POST" });
    say(`canceled ${id.slice(0, 8)}`);
  } catch (error) {
    say(error.message, true);
  }
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

function jobBody() {
  const kernel = $("kernel").value;
  const num = (id) => Number($(id).value);
  const params = kernel === "primes" ? { start: num("start"), stop: num("stop") } : { samples: num("samples"), seed: num("seed") };
  const body = { kernel, params, mode: $("mode").value };
  if ($("chunk-size").value) body.chunk_size = num("chunk-size");
  return body;
}

async function submit(event) {
  event.preventDefault();
  const body = JSON.stringify(jobBody());
  const count = Math.max(1, Math.min(200, Number($("count").value) || 1));
  const post = () => getJson("/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  try {
    const accepted = await Promise.all(Array.from({ length: count }, post));
    say(count === 1 ? `submitted ${accepted[0].id}` : `submitted ${count} jobs`);
    $("message").dataset.jobIds = accepted.map((a) => a.id).join(",");
  } catch (error) {
    say(error.message, true);
  }
  getJson("/dashboard").then((d) => renderJobs(d.recent), () => {}); // show the new jobs at once
}

async function poll() {
  try {
    const [dashboard] = await Promise.all([getJson("/dashboard"), pollSeries()]);
    renderTiles(dashboard);
    renderCpu(dashboard.workers);
    renderJobs(dashboard.recent);
    $("live").textContent = `live · ${new Date(dashboard.now * 1000).toLocaleTimeString()}`;
    $("live").className = "live ok";
  } catch (error) {
    $("live").textContent = `no answer (${error.message}); retrying`;
    $("live").className = "live down";
  }
  setTimeout(poll, POLL_MS);
}

$("kernel").onchange = () => {
  for (const span of document.querySelectorAll("[data-kernel]")) span.hidden = span.dataset.kernel !== $("kernel").value;
};
$("job-form").onsubmit = submit;
poll();
