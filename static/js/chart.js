// A tiny SVG line chart of our own (no library): a few series of
// {step, y} points on shared axes. The pure functions (niceTicks,
// linearScale, pathData) are exported for tests and reuse.

const NS = "http://www.w3.org/2000/svg";

// niceTicks returns about `count` round tick values within [lo, hi].
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.round(v / step) * step);
  }
  return out;
}

// linearScale maps [d0, d1] onto [r0, r1].
export function linearScale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

// pathData is the SVG path of points through the scales (non-finite
// points break the line).
export function pathData(points, sx, sy) {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.y) || !Number.isFinite(p.step)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${sx(p.step).toFixed(1)} ${sy(p.y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

// createChart draws into an <svg viewBox="0 0 W H">. opts: {series:
// [{name, className, markers}], yMin, yMax (fixed, or auto when undefined),
// yFormat(v), xLabel, empty (text shown without data)}.
export function createChart(svg, opts) {
  const vb = (svg.getAttribute("viewBox") || "0 0 480 240").split(/\s+/).map(Number);
  const W = vb[2];
  const H = vb[3];
  const m = { l: 46, r: 12, t: 10, b: 30 };
  const data = new Map(opts.series.map((s) => [s.name, []]));
  let frame = 0;

  function render() {
    frame = 0;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const all = [...data.values()].flat();
    if (all.length === 0) {
      const t = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "chart-empty" }, svg);
      t.textContent = opts.empty || "";
      return;
    }
    const maxStep = Math.max(1, ...all.map((p) => p.step));
    let yMin = opts.yMin;
    let yMax = opts.yMax;
    if (yMin === undefined || yMax === undefined) {
      const ys = all.map((p) => p.y).filter(Number.isFinite);
      if (yMin === undefined) yMin = Math.min(0, ...ys);
      if (yMax === undefined) yMax = Math.max(...ys, yMin + 1e-6);
    }
    let yt = niceTicks(yMin, yMax, 4);
    if (opts.yMax === undefined && yt.length > 1) {
      // Round an automatic top up to the next tick.
      const step = yt[1] - yt[0];
      yMax = Math.ceil(yMax / step - 1e-9) * step;
      yt = niceTicks(yMin, yMax, 4);
    }
    const sx = linearScale(0, maxStep, m.l, W - m.r);
    const sy = linearScale(yMin, yMax, H - m.b, m.t);
    const axes = el("g", { class: "chart-axes" }, svg);
    for (const v of yt) {
      if (v < yMin - 1e-9 || v > yMax + 1e-9) continue;
      el("line", { x1: m.l, x2: W - m.r, y1: sy(v), y2: sy(v), class: "chart-grid" }, axes);
      const t = el("text", { x: m.l - 6, y: sy(v) + 4, "text-anchor": "end" }, axes);
      t.textContent = opts.yFormat ? opts.yFormat(v) : String(v);
    }
    for (const v of niceTicks(0, maxStep, 5)) {
      const t = el("text", { x: sx(v), y: H - m.b + 16, "text-anchor": "middle" }, axes);
      t.textContent = String(v);
    }
    el("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b, class: "chart-axis" }, axes);
    el("line", { x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, class: "chart-axis" }, axes);
    if (opts.xLabel) {
      const t = el("text", { x: W - m.r, y: H - 2, "text-anchor": "end", class: "chart-xlabel" }, axes);
      t.textContent = opts.xLabel;
    }
    for (const s of opts.series) {
      const pts = data.get(s.name);
      if (!pts.length) continue;
      el("path", { d: pathData(pts, sx, sy), class: `chart-line ${s.className || ""}`, fill: "none" }, svg);
      // Sparse series (markers: true) get a dot at every point; others at the last.
      for (const p of s.markers ? pts : pts.slice(-1)) {
        if (Number.isFinite(p.y)) {
          el("circle", { cx: sx(p.step), cy: sy(p.y), r: 3.5, class: `chart-dot ${s.className || ""}` }, svg);
        }
      }
    }
    svg.dataset.points = String(all.length);
    svg.dataset.maxStep = String(maxStep);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  render();
  return {
    set(name, points) {
      data.set(name, points.slice());
      schedule();
    },
    add(name, point) {
      const pts = data.get(name);
      if (pts.length && pts[pts.length - 1].step >= point.step) return;
      pts.push(point);
      if (pts.length > 4000) data.set(name, pts.filter((_, i) => i % 2 === 0 || i === pts.length - 1));
      schedule();
    },
    clear() {
      for (const k of data.keys()) data.set(k, []);
      schedule();
    },
    points(name) {
      return data.get(name).slice();
    },
  };
}
