// A tiny SVG line chart: time on x, values on y, one polyline per series.
const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** An axis value short enough for the margin: 950, 2.5k, 12k, 1.2M. */
export function compact(value) {
  const size = Math.abs(value);
  if (size >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (size >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(2)}`;
}

/**
 * Draw series [{name, color, points: [[t, v|null], ...]}] into svg (viewBox 600x200).
 * Null values break the line. x runs over [t0, t1].
 */
export function lineChart(svg, series, { t0, t1, unit = "" } = {}) {
  const W = 600, H = 200, R = 10, T = 12, B = 24;
  svg.replaceChildren();
  const values = series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  const top = niceMax(Math.max(0, ...values));
  const labels = [0, 0.5, 1].map((frac) => `${compact(top * frac)}${unit}`);
  const L = Math.max(48, 10 + 7 * Math.max(...labels.map((text) => text.length))); // never clipped
  const start = t0 ?? Math.min(...series.flatMap((s) => s.points.map((p) => p[0])));
  const end = t1 ?? Math.max(...series.flatMap((s) => s.points.map((p) => p[0])));
  const span = Math.max(1, end - start);
  const x = (t) => L + ((t - start) / span) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  [0, 0.5, 1].forEach((frac, i) => {
    const v = top * frac;
    svg.append(el("line", { class: "axis", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(el("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "data-axis": "y" }, labels[i]));
  });
  svg.append(el("text", { x: L, y: H - 6 }, `-${Math.round(span)} s`));
  svg.append(el("text", { x: W - R, y: H - 6, "text-anchor": "end" }, "now"));
  let legendX = L + 8;
  for (const s of series) {
    let run = [];
    const flush = () => {
      if (run.length) {
        const points = run.length === 1 ? [run[0], [run[0][0] + 1, run[0][1]]] : run;
        svg.append(el("polyline", {
          points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" "),
          fill: "none", stroke: s.color, "stroke-width": 1.8, "data-series": s.name,
        }));
      }
      run = [];
    };
    for (const [t, v] of s.points) {
      if (v === null) flush(); else run.push([x(t), y(v)]);
    }
    flush();
    svg.append(el("rect", { x: legendX, y: T, width: 10, height: 10, fill: s.color }));
    svg.append(el("text", { x: legendX + 14, y: T + 9 }, s.name));
    legendX += 24 + s.name.length * 7;
  }
}
