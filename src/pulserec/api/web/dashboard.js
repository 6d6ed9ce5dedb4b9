// "Watch it": stats, live requests/s and latency plots, evaluation reports.
import { api, blobUrl, enc } from "./api.js";
import { lineChart } from "./plot.js";
import { $, h, guarded } from "./ui.js";

let timer = null;
let reportsLoaded = false;

function stamp(seconds) {
  return seconds ? new Date(seconds * 1000).toISOString().replace(".000", "") : "never";
}

async function stats() {
  const { body } = await api("/v1/admin/stats");
  const last = body.last_training;
  const rows = [
    ["items", "Items", body.items],
    ["users", "Users", body.users],
    ["events", "Events stored", body.events],
    ["ingested", "Events ingested since start", body.events_accepted_since_start],
    ["event-rate", "Events/s (last minute)", body.events_per_second],
    ["model", "Model version", body.model_version],
    ["models", "Models", (body.models || []).join(", ") || "none"],
    ["trained", "Last training", last ? `${stamp(last.trained_at)} (${last.train_seconds ?? "?"} s)` : "never"],
    ["training", "Training now", body.training ? "yes" : "no"],
    ["experiments", "Experiments running", ((body.experiments || {}).running || []).join(", ") || "none"],
  ];
  $("#stats").replaceChildren(...rows.map(([id, name, value]) =>
    h("div", {}, h("dt", { text: name }), h("dd", { id: `stat-${id}`, text: String(value) }))));
}

async function series() {
  const { body } = await api("/v1/admin/timeseries?seconds=300");
  const samples = body.samples;
  if (!samples.length) return;
  const range = { t0: samples[0].t, t1: samples[samples.length - 1].t };
  lineChart($("#plot-rps"), [
    { name: "requests/s", color: "#0969da", points: samples.map((s) => [s.t, s.requests]) },
    { name: "errors/s", color: "#cf222e", points: samples.map((s) => [s.t, s.errors]) },
  ], range);
  lineChart($("#plot-latency"), [
    { name: "p50", color: "#0969da", points: samples.map((s) => [s.t, s.p50_ms]) },
    { name: "p99", color: "#cf222e", points: samples.map((s) => [s.t, s.p99_ms]) },
  ], { ...range, unit: " ms" });
}

function fmt(value) {
  return typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(4)) : String(value ?? "");
}

function reportTable(report) {
  const models = Object.entries(report.results.models || {});
  const keys = [...new Set(models.flatMap(([, m]) => Object.keys(m.metrics || {})))].sort();
  return h("table", {},
    h("caption", { text: `${report.protocol}: ${report.results.dataset ?? ""} k=${report.results.k ?? ""} (${report.modified})` }),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "model" }), keys.map((k) => h("th", { scope: "col", text: k })), h("th", { scope: "col", text: "fit s" }))),
    h("tbody", {}, models.map(([name, m]) => h("tr", {},
      h("th", { scope: "row", text: name }),
      keys.map((k) => h("td", { text: fmt((m.metrics || {})[k]) })),
      h("td", { text: fmt(m.fit_seconds) }))),
    ));
}

async function reports() {
  const { body } = await api("/v1/admin/reports");
  const box = $("#reports");
  if (!body.reports.length) {
    box.replaceChildren(h("p", { class: "hint", text: `No evaluation report under ${body.dir} yet: run pulserec evaluate.` }));
    reportsLoaded = true;
    return;
  }
  box.replaceChildren(...body.reports.map((report) => h("article", { class: "report" },
    h("h4", { text: report.protocol }),
    report.error ? h("p", { class: "hint", text: report.error }) : reportTable(report),
    h("div", { class: "report-plots" }, report.plots.map((file) => h("img", {
      alt: `${report.protocol}: ${file.replace(/\.png$/, "").replace(/_/g, " ")}`,
      "data-src": `/v1/admin/reports/${enc(report.protocol)}/${enc(file)}`,
    }))),
  )));
  for (const img of box.querySelectorAll("img[data-src]")) {
    guarded(async () => { img.src = await blobUrl(img.dataset.src); });
  }
  reportsLoaded = true;
}

async function tick() {
  await Promise.all([stats(), series(), reportsLoaded ? null : reports()]);
}

export function startDashboard() {
  if (timer) return;
  guarded(tick);
  timer = setInterval(() => guarded(tick), 2000);
}

export function stopDashboard() {
  if (timer) clearInterval(timer);
  timer = null;
}

export function reloadReports() {
  reportsLoaded = false;
}
