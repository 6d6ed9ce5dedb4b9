// "Experiments": every experiment with its report (CTR and lift with 95% intervals, the
// sample-ratio flag), a cumulative plot of the first treatment's CTR ratio, start and stop.
import { api, enc } from "./api.js";
import { lineChart } from "./plot.js";
import { $, h, guarded } from "./ui.js";

let timer = null;
let plotted = null;

const pct = (v) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
const signed = (v) => (v === null || v === undefined ? "n/a" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`);
const p = (v) => (v === null || v === undefined ? "n/a" : v < 0.001 ? "<0.001" : v.toFixed(3));

function liftText(report) {
  const lift = report.lift;
  if (!lift || lift.estimate === null) return "not enough data yet";
  const [lo, hi] = lift.ci || [null, null];
  const ci = lo === null ? "" : ` (95% CI ${signed(lo)} to ${signed(hi)})`;
  return `${lift.variant}: ${signed(lift.estimate)}${ci}, p ${p(lift.p_value)}`;
}

function variantsText(report) {
  return report.variants.map((v) => {
    const [lo, hi] = v.ctr_ci || [null, null];
    const ci = lo === null ? "" : ` [${pct(lo)}, ${pct(hi)}]`;
    return `${v.name}: CTR ${pct(v.ctr)}${ci}, ${v.users} users, ${v.impressions} impressions`;
  }).join("; ");
}

function verdict(report) {
  if (report.mode === "interleave") {
    const wins = Object.entries(report.wins || {}).map(([k, n]) => `${k} ${n}`).join(", ");
    return `${report.preferred ? `prefers ${report.preferred}` : "no preference yet"} (users: ${wins})`;
  }
  return report.significant ? "significant" : "not significant";
}

function row(experiment, report) {
  const srm = report.srm ? h("strong", { class: "srm", text: "sample ratio mismatch" }) : h("span", { class: "hint", text: `SRM p ${p(report.srm_p_value)}` });
  const stop = experiment.state === "running"
    ? h("button", { type: "button", "data-stop": experiment.id, text: "Stop" }) : null;
  const plot = h("button", { type: "button", "data-plot": experiment.id, text: "Plot" });
  return h("tr", { "data-experiment": experiment.id },
    h("th", { scope: "row", text: experiment.id }),
    h("td", { text: `${experiment.mode}, ${experiment.state}` }),
    h("td", { class: "variants", text: variantsText(report) }),
    h("td", { class: "lift", text: liftText(report) }),
    h("td", { class: "verdict", text: verdict(report) }),
    h("td", {}, srm),
    h("td", {}, plot, stop));
}

function plot(id, report) {
  const points = report.history || [];
  $("#lift-caption").textContent = points.length
    ? `${id}: CTR of ${report.lift ? report.lift.variant : "the treatment"} over the control (1 = no change), cumulative, with its 95% interval`
    : `${id}: no cumulative lift to plot yet`;
  if (!points.length) { $("#plot-lift").replaceChildren(); return; }
  const ratio = (v) => (v === null ? null : 1 + v);
  lineChart($("#plot-lift"), [
    { name: "ratio", color: "#0969da", points: points.map((q) => [q.at, ratio(q.lift)]) },
    { name: "low", color: "#8c959f", points: points.map((q) => [q.at, ratio(q.ci[0])]) },
    { name: "high", color: "#8c959f", points: points.map((q) => [q.at, ratio(q.ci[1])]) },
  ], { t0: points[0].at, t1: points[points.length - 1].at });
}

async function refresh() {
  const { body } = await api("/v1/experiments");
  const reports = await Promise.all(body.experiments.map(async (e) =>
    (await api(`/v1/experiments/${enc(e.id)}/report`)).body));
  const rows = body.experiments.map((e, n) => row(e, reports[n]));
  $("#experiments-body").replaceChildren(...rows);
  $("#experiments-empty").hidden = rows.length > 0;
  const chosen = plotted ?? (body.experiments.length ? body.experiments[body.experiments.length - 1].id : null);
  const at = body.experiments.findIndex((e) => e.id === chosen);
  if (at >= 0) plot(chosen, reports[at]);
}

function models(text) {
  const names = text.split(",").map((s) => s.trim()).filter(Boolean);
  return names.length ? { models: names } : {};
}

async function create(event) {
  event.preventDefault();
  const diversity = $("#exp-b-diversity").value.trim();
  const b = models($("#exp-b-models").value);
  if (diversity) b.diversity = Number(diversity);
  const body = {
    id: $("#exp-id").value.trim(),
    mode: $("#exp-mode").value,
    traffic: Number($("#exp-traffic").value || "1"),
    variants: [
      { name: $("#exp-a-name").value.trim() || "control", config: models($("#exp-a-models").value) },
      { name: $("#exp-b-name").value.trim() || "treatment", config: b },
    ],
  };
  await api("/v1/experiments", { method: "POST", body });
  $("#exp-status").textContent = `started ${body.id}`;
  plotted = body.id;
  await refresh();
}

export function initExperiments() {
  $("#experiment-form").addEventListener("submit", (e) => guarded(() => create(e)));
  $("#experiments-body").addEventListener("click", (e) => {
    const stop = e.target.closest("[data-stop]");
    const chosen = e.target.closest("[data-plot]");
    if (stop) {
      guarded(async () => {
        await api(`/v1/experiments/${enc(stop.dataset.stop)}/stop`, { method: "POST" });
        $("#exp-status").textContent = `stopped ${stop.dataset.stop}`;
        await refresh();
      });
    } else if (chosen) {
      plotted = chosen.dataset.plot;
      guarded(refresh);
    }
  });
}

export function startExperiments() {
  if (timer) return;
  guarded(refresh);
  timer = setInterval(() => guarded(refresh), 3000);
}

export function stopExperiments() {
  if (timer) clearInterval(timer);
  timer = null;
}

