// The convolution visualizer (/conv). The server rendered the first paint
// and left its state and the engine's full trace in the JSON block
// "conv-data"; this module takes over: stepping, editing, URL sync.
//
// Every number shown comes from the engine: when the configuration or a
// value changes, the page asks POST /api/conv with "trace": true and draws
// the answer. This file never multiplies an input by a weight.
//
// The state is one object (config + values + step) that can be driven from
// outside (the classroom follow-along, a quiz):
//
//   import { getState, setState, subscribe, toQuery } from "/static/js/visualizer.js";
//   // or, without importing: window.convlabVisualizer (same functions)
//   const off = subscribe((state, info) => { ... info.source, info.result });
//   await setState({ step: 4 });                 // just the step
//   await setState({ sh: 2, sw: 2 }, { source: "follow" }); // recomputes
//   await setState(fullStateFromLeader, { source: "follow", replace: true });
//
// The page also dispatches a "conv:change" CustomEvent on #conv with
// detail {state, source, error}, and "conv:ready" on document (detail: the
// API) once mounted. Import this module by the URL the page loads it with,
// or use window.convlabVisualizer: a copy under another URL forwards to it.

import { el, table, editable, cellAt } from "./grid.js";
import { mount as mountStepper, reducedMotion } from "./stepper.js";

// ---------- state ----------

const CONFIG_KEYS = ["in_h", "in_w", "kh", "kw", "sh", "sw", "dh", "dw", "pad_h", "pad_w", "pad_str", "mode",
  "channels", "filters", "bias", "transposed", "oph", "opw"];
const VALUE_KEYS = ["x", "w", "b", "x_set", "w_set", "b_set"];

let S = null;        // the state (see convState in cmd/web/conv_state.go)
let R = null;        // the engine's answer: {output, shape, steps, grid, geometry}
let ERR = "";        // why the configuration cannot run
let M = {};          // messages
let LIM = {};        // bounds
let root = null;
let stepper = null;
let seq = 0;         // request sequence: only the latest answer is drawn
let pending = 0;     // the request being waited for (steps draw after it)
let aborter = null;
const listeners = new Set();

const t = (key, ...args) => {
  const s = Object.hasOwn(M, key) ? M[key] : key;
  return s.replace(/\{(\d+)\}/g, (m, i) => (i < args.length ? String(args[i]) : m));
};

const clone = (o) => JSON.parse(JSON.stringify(o));

// The default fill, the same three functions as cmd/web/conv_state.go.
export function defaultX(c, y, x) { return (y * 3 + x * 5 + c * 7 + ((y * x) % 4)) % 5; }
export function defaultW(f, c, ky, kx, kh, kw) {
  let on;
  switch ((f + c) % 3) {
    case 0: on = ky * (kw - 1) === kx * (kh - 1) || ky * (kw - 1) === (kw - 1 - kx) * (kh - 1); break;
    case 1: on = ky === Math.floor(kh / 2) || kx === Math.floor(kw / 2); break;
    default: on = ky === 0 || kx === 0 || ky === kh - 1 || kx === kw - 1;
  }
  return on ? 1 : 0;
}
export function defaultB(f) { return f % 2 === 0 ? 1 : -1; }

// weightIndex: PyTorch's layout, Conv2d F×C×KH×KW, ConvTranspose2d C×F×KH×KW.
function widx(s, f, c, ky, kx) {
  return s.transposed ? ((c * s.filters + f) * s.kh + ky) * s.kw + kx : ((f * s.channels + c) * s.kh + ky) * s.kw + kx;
}

// fmt writes a cell value like fmtNum in Go: whole numbers as they are,
// others with at most two decimals.
export function fmt(v) {
  if (typeof v !== "number") return "";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return Object.is(v, -0) ? "0" : String(v);
  let s = v.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}
const paren = (s) => (s.startsWith("-") ? "(" + s + ")" : s);
const pair = (a, b) => (a === b ? String(a) : `${a}x${b}`);

// Resize the values after a shape change: keep what still fits when the
// user set them, otherwise start again from the default fill.
function reshape(old, s, given = {}) {
  const keepX = old.x_set, keepW = old.w_set, keepB = old.b_set;
  const fits = (k, n) => k in given && Array.isArray(s[k]) && s[k].length === n;
  if (fits("x", s.channels * s.in_h * s.in_w)) { /* the caller's values */ }
  else if (old.channels !== s.channels || old.in_h !== s.in_h || old.in_w !== s.in_w || !s.x || s.x.length !== s.channels * s.in_h * s.in_w) {
    const x = new Array(s.channels * s.in_h * s.in_w);
    for (let c = 0; c < s.channels; c++) for (let y = 0; y < s.in_h; y++) for (let xx = 0; xx < s.in_w; xx++) {
      const i = (c * s.in_h + y) * s.in_w + xx;
      x[i] = keepX && c < old.channels && y < old.in_h && xx < old.in_w ? old.x[(c * old.in_h + y) * old.in_w + xx] : defaultX(c, y, xx);
    }
    s.x = x;
    s.x_set = keepX;
  }
  if (fits("w", s.filters * s.channels * s.kh * s.kw)) { /* the caller's values */ }
  else if (old.channels !== s.channels || old.filters !== s.filters || old.kh !== s.kh || old.kw !== s.kw || old.transposed !== s.transposed || !s.w || s.w.length !== s.filters * s.channels * s.kh * s.kw) {
    const w = new Array(s.filters * s.channels * s.kh * s.kw);
    for (let f = 0; f < s.filters; f++) for (let c = 0; c < s.channels; c++) for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
      w[widx(s, f, c, ky, kx)] = keepW && f < old.filters && c < old.channels && ky < old.kh && kx < old.kw
        ? old.w[widx(old, f, c, ky, kx)] : defaultW(f, c, ky, kx, s.kh, s.kw);
    }
    s.w = w;
    s.w_set = keepW;
  }
  if (fits("b", s.filters)) { /* the caller's values */ }
  else if (old.filters !== s.filters || !s.b || s.b.length !== s.filters) {
    s.b = Array.from({ length: s.filters }, (_, f) => (keepB && f < old.filters ? old.b[f] : defaultB(f)));
    s.b_set = keepB;
  }
}

// fitLengths gives a state taken whole (setState replace) value arrays of
// the right lengths: an array that does not fit its shape starts again
// from the default fill.
function fitLengths(s) {
  const fresh = { ...s, channels: -1, filters: -1 }; // "old" shape that matches nothing
  const keep = { x: s.x, w: s.w, b: s.b, x_set: s.x_set, w_set: s.w_set, b_set: s.b_set };
  reshape({ ...fresh, x_set: false, w_set: false, b_set: false }, s);
  for (const [k, n] of [["x", s.channels * s.in_h * s.in_w], ["w", s.filters * s.channels * s.kh * s.kw], ["b", s.filters]]) {
    if (Array.isArray(keep[k]) && keep[k].length === n) { s[k] = keep[k]; s[k + "_set"] = keep[k + "_set"] ?? true; }
  }
}

// toQuery writes a state as the page's URL query (the same as
// convState.query in Go).
export function toQuery(s = S) {
  if (!s) return other() ? other().toQuery() : "";
  const q = new URLSearchParams();
  if (s.preset) {
    q.set("preset", s.preset);
    if (s.step > 1) q.set("step", s.step);
    return q.toString();
  }
  q.set("input", pair(s.in_h, s.in_w));
  q.set("kernel", pair(s.kh, s.kw));
  if (s.sh !== 1 || s.sw !== 1) q.set("stride", pair(s.sh, s.sw));
  if (s.pad_str) q.set("padding", s.pad_str);
  else if (s.pad_h || s.pad_w) q.set("padding", pair(s.pad_h, s.pad_w));
  if (s.dh !== 1 || s.dw !== 1) q.set("dilation", pair(s.dh, s.dw));
  if (s.mode !== "zeros") q.set("mode", s.mode);
  if (s.channels !== 1) q.set("channels", s.channels);
  if (s.filters !== 1) q.set("filters", s.filters);
  if (s.bias) q.set("bias", "1");
  if (s.transposed) {
    q.set("transposed", "1");
    if (s.oph || s.opw) q.set("output_padding", pair(s.oph, s.opw));
  }
  const list = (v) => v.map((n) => String(Math.fround(n))).join(",");
  if (s.x_set) q.set("x", list(s.x));
  if (s.w_set) q.set("w", list(s.w));
  if (s.b_set && s.bias) q.set("b", list(s.b));
  if (s.step > 1) q.set("step", s.step);
  return q.toString();
}

// Keep the URL in step with the state (a teacher can share the link).
// Parameters that are not the visualizer's (lang, present, ...) stay.
const OWN = new Set(["preset", "input", "kernel", "stride", "padding", "padkind", "dilation", "mode", "channels", "filters",
  "bias", "transposed", "output_padding", "x", "w", "b", "step"]);
function syncURL() {
  const cur = new URLSearchParams(location.search);
  const q = new URLSearchParams(toQuery());
  for (const [k, v] of cur) if (!OWN.has(k)) q.append(k, v);
  const url = location.pathname + "?" + q.toString();
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

// The page has one visualizer. A second copy of this module (imported
// under another URL, e.g. without the ?v= hash) forwards to the mounted one.
const other = () => (root === null && window.convlabVisualizer && window.convlabVisualizer.self !== SELF ? window.convlabVisualizer : null);
const SELF = {};

export function getState() { return other() ? other().getState() : S ? clone(S) : null; }
export function getResult() { return other() ? other().getResult() : R; }
export function getError() { return other() ? other().getError() : ERR; }

export function subscribe(fn) {
  if (other()) return other().subscribe(fn);
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(source) {
  const st = getState();
  for (const fn of listeners) {
    try { fn(st, { source, result: R, error: ERR }); } catch (e) { console.error(e); }
  }
  root?.dispatchEvent(new CustomEvent("conv:change", { detail: { state: st, source, error: ERR } }));
}

// setState changes the state. A change of only the step redraws at once;
// any other change asks the engine again (the promise resolves when the
// page shows the answer). opts.replace: take patch as the whole state.
export async function setState(patch, opts = {}) {
  if (other()) return other().setState(patch, opts);
  if (!S || !patch) return getState();
  const source = opts.source || "api";
  const old = S;
  let next = opts.replace ? clone(patch) : { ...clone(S), ...clone(patch) };
  const bad = checkBounds(next);
  if (bad) {
    ERR = bad;
    showError(bad);
    emit(source);
    return getState();
  }
  const cfgChanged = CONFIG_KEYS.some((k) => next[k] !== old[k]);
  const valChanged = VALUE_KEYS.some((k) => JSON.stringify(next[k]) !== JSON.stringify(old[k]));
  if (cfgChanged) {
    if (!opts.replace && !("preset" in patch)) next.preset = "";
    if (!opts.replace) reshape(old, next, patch);
    else fitLengths(next);
  } else if (valChanged && !opts.replace && !("preset" in patch)) {
    next.preset = "";
  }
  if (cfgChanged || valChanged) {
    S = next;
    syncControls();
    await recompute(source);
    return getState();
  }
  S = next;
  showStep(source);
  return getState();
}

// checkBounds refuses a state outside the page's limits before any work
// (a state can come from another script): a message, or "".
function checkBounds(s) {
  const ints = [["input", ["in_h", "in_w"], 1, LIM.input], ["kernel", ["kh", "kw"], 1, LIM.kernel],
    ["stride", ["sh", "sw"], 1, LIM.stride], ["dilation", ["dh", "dw"], 1, LIM.dilation],
    ["padding", ["pad_h", "pad_w"], 0, LIM.padding], ["output_padding", ["oph", "opw"], 0, LIM.kernel],
    ["channels", ["channels"], 1, LIM.channels], ["filters", ["filters"], 1, LIM.filters]];
  for (const [name, keys, lo, hi] of ints) {
    for (const k of keys) {
      const v = s[k];
      if (!Number.isInteger(v) || v < lo || v > hi) return t("conv.err.range", name, String(v), lo, hi);
    }
  }
  if (!["zeros", "reflect", "replicate", "circular"].includes(s.mode)) return t("conv.err.mode", String(s.mode));
  if (!["", "same", "valid"].includes(s.pad_str ?? "")) return t("conv.err.pair", "padding", String(s.pad_str));
  for (const k of ["x", "w", "b"]) {
    if (s[k] !== undefined && !(Array.isArray(s[k]) && s[k].length <= 4096 && s[k].every((v) => Number.isFinite(v) && Math.abs(v) <= LIM.abs)))
      return t("conv.err.big", k, "…", LIM.abs);
  }
  return "";
}

function showError(msg) {
  const err = $("#conv-error");
  err.textContent = "";
  if (msg) err.append(el("strong", { text: t("conv.err.heading") }), " " + msg);
  err.classList.toggle("hidden-msg", !msg);
}

export function step(n) { return setState({ step: n }, { source: "user" }); }
export function play() { if (other()) other().play(); else stepper?.play(); }
export function pause() { if (other()) other().pause(); else stepper?.pause(); }

// ---------- the engine ----------

const KINDS = ["real", "pad", "copy", "inserted"];

// unpackSteps reads the packed trace of the page's JSON block (packSteps
// in cmd/web/conv_handlers.go) into the objects /api/conv answers with.
export function unpackSteps(packed, g) {
  const n = g.in_channels / g.groups;
  const hw = g.out_h * g.out_w;
  return packed.map((a) => {
    const st = {
      out_channel: a[0], out_y: a[1], out_x: a[2], window_y: a[3], window_x: a[4], bias: a[5], sum: a[6],
      channels: a.slice(7, 7 + n), channel_sums: a.slice(7 + n, 7 + 2 * n), taps: [],
    };
    st.index = st.out_channel * hw + st.out_y * g.out_w + st.out_x;
    for (let i = 7 + 2 * n; i + 13 <= a.length; i += 13) {
      st.taps.push({ c: a[i], wy: a[i + 1], wx: a[i + 2], ky: a[i + 3], kx: a[i + 4], y: a[i + 5], x: a[i + 6],
        kind: KINDS[a[i + 7]], src_y: a[i + 8], src_x: a[i + 9], input: a[i + 10], weight: a[i + 11], product: a[i + 12] });
    }
    return st;
  });
}

function requestBody(s) {
  const x = [];
  for (let c = 0; c < s.channels; c++) {
    const ch = [];
    for (let y = 0; y < s.in_h; y++) ch.push(s.x.slice((c * s.in_h + y) * s.in_w, (c * s.in_h + y + 1) * s.in_w));
    x.push(ch);
  }
  const [A, B] = s.transposed ? [s.channels, s.filters] : [s.filters, s.channels];
  const w = [];
  for (let a = 0; a < A; a++) {
    const wa = [];
    for (let b = 0; b < B; b++) {
      const k = [];
      for (let ky = 0; ky < s.kh; ky++) {
        const off = ((a * B + b) * s.kh + ky) * s.kw;
        k.push(s.w.slice(off, off + s.kw));
      }
      wa.push(k);
    }
    w.push(wa);
  }
  const body = {
    input: x, weight: w, stride: [s.sh, s.sw], dilation: [s.dh, s.dw], groups: 1,
    padding: s.pad_str || [s.pad_h, s.pad_w], padding_mode: s.mode, transposed: s.transposed,
    output_padding: [s.oph, s.opw], trace: true,
  };
  if (s.bias) body.bias = s.b.slice();
  return body;
}

async function recompute(source) {
  const my = ++seq;
  pending = my;
  aborter?.abort();
  aborter = new AbortController();
  root.classList.add("loading");
  let res = null, err = "";
  try {
    const r = await fetch("/api/conv", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(requestBody(S)),
      signal: aborter.signal,
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) err = j.error || r.statusText || String(r.status);
    else res = j;
  } catch (e) {
    if (e.name === "AbortError") return;
    err = t("conv.err.network", e.message);
  }
  if (my !== seq) return;
  pending = 0;
  root.classList.remove("loading");
  if (res && res.geometry) {
    const g = res.geometry;
    if (g.out_h > LIM.output || g.out_w > LIM.output) { err = t("conv.err.output_big", g.out_h, g.out_w, LIM.output); res = null; }
    else if (g.macs > LIM.macs) { err = t("conv.err.too_much", g.macs, LIM.macs); res = null; }
    else if (!res.steps || !res.grid) { err = t("conv.err.no_trace"); res = null; }
  }
  R = res;
  ERR = err;
  renderAll(source);
}

// ---------- drawing ----------

const $ = (sel) => root.querySelector(sel);
let inCells = [];     // [channel][y][x] td of the padded input grids
let kTables = [];     // [channel] kernel table
let outCells = [];    // [step index] td of the outputs
let lastMarked = [];  // cells marked for the current step
let kFilter = -1;     // the filter whose weights the kernel tables show
let curStep = null;   // the step "This step" shows
let outRects = [];    // [rect, fill] of the output pictures, in step order
let focusMemo = null; // which grid cell had the keyboard when we redrew
const ctls = new WeakMap(); // table → its editable() controller

function denseClass(w) { return w > 20 ? "dense tiny" : w > 12 ? "dense" : ""; }

function shade(v, lo, hi) {
  if (hi <= lo) return "s0";
  return "s" + Math.min(4, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * 4.999)));
}
const sign = (v) => (v < 0 ? "neg" : v > 0 ? "pos" : "zero");
function minMax(a) {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return a.length ? [lo, hi] : [0, 0];
}

function renderAll(source) {
  rememberFocus();
  showError(ERR);
  root.classList.toggle("has-error", !!ERR);
  $("#conv-tnote")?.classList.toggle("hidden-msg", !(S.transposed && R));
  if (!R) {
    $("#conv-channels").replaceChildren();
    $("#conv-out-grids").replaceChildren();
    $("#conv-images").replaceChildren();
    $("#conv-detail").replaceChildren();
    $("#conv-facts").replaceChildren();
    $("#conv-out-size").textContent = "–";
    $("#conv-step-index").textContent = "0 / 0";
    $("#conv-bar-sum").textContent = "";
    inCells = []; outCells = []; kTables = []; lastMarked = [];
    stepper.set(0, 1);
    if (source !== "load") syncURL(); // keep a broken link as it was, to fix it
    emit(source);
    return;
  }
  const g = R.geometry;
  $("#conv-stage").classList.toggle("wide", g.padded_w + g.out_w > 24);
  $("#conv-summary").textContent = pytorch(g);
  const [lo, hi] = minMax(S.x);
  const dense = denseClass(g.padded_w);
  // Input channels with their kernel slice.
  const chans = [];
  inCells = [];
  kTables = [];
  const uncov = uncovered(g);
  for (let c = 0; c < S.channels; c++) {
    const rows = R.grid.map((row, y) => row.map((cell, x) => {
      const cls = ["cell", cell.kind];
      let text = "0", title;
      const data = { y, x };
      if (cell.src_y >= 0) {
        const v = S.x[(c * S.in_h + cell.src_y) * S.in_w + cell.src_x];
        text = fmt(v);
        cls.push(shade(v, lo, hi));
        if (cell.kind === "copy") {
          data.src = cell.src_y + "," + cell.src_x;
          title = t("conv.copy_of", cell.src_y + 1, cell.src_x + 1);
        }
      }
      if (uncov.rows.has(y) || uncov.cols.has(x)) cls.push("uncovered");
      return { text, cls: cls.join(" "), data, title };
    }));
    const tb = table(rows, { id: "conv-in-" + c, label: t("conv.input_grid", c + 1), cls: dense, caption: S.channels > 1 ? t("conv.input_grid", c + 1) : "" });
    tb.dataset.label = t("conv.input_grid", c + 1);
    inCells.push(Array.from(tb.tBodies[0].rows, (tr) => Array.from(tr.cells)));
    ctls.set(tb, editable(tb, {
      canEdit: (td) => td.classList.contains("real"),
      label: (td) => t("conv.edit_label", R.grid[td.dataset.y][td.dataset.x].src_y + 1, R.grid[td.dataset.y][td.dataset.x].src_x + 1),
      commit: (td, text) => {
        const cell = R.grid[td.dataset.y][td.dataset.x];
        return editValue("x", (c * S.in_h + cell.src_y) * S.in_w + cell.src_x, text);
      },
      onActive: (td) => highlightSource(c, td),
      onEdit: () => stepper.pause(),
    }));
    tb.addEventListener("mouseover", (e) => highlightSource(c, e.target.closest("td")));
    tb.addEventListener("mouseleave", () => highlightSource(c, null));
    const kt = table([], { id: "conv-k-" + c, cls: "kernel" });
    kTables.push(kt);
    const sum = S.channels > 1 ? el("p", { cls: "ch-sum" }) : null;
    chans.push(el("div", { cls: "conv-channel" },
      el("div", { cls: "grid-wrap" }, tb),
      el("div", { cls: "conv-kernel" }, el("span", { cls: "op", "aria-hidden": "true", text: "×" }), kt, sum)));
  }
  $("#conv-channels").replaceChildren(...chans);

  // Outputs, one grid per filter.
  const outs = [];
  outCells = [];
  const od = denseClass(g.out_w);
  for (let oc = 0; oc < R.shape[0]; oc++) {
    const rows = [];
    for (let oy = 0; oy < g.out_h; oy++) {
      const row = [];
      for (let ox = 0; ox < g.out_w; ox++) {
        row.push({ text: "", cls: "cell out", data: { i: (oc * g.out_h + oy) * g.out_w + ox },
          title: R.shape[0] > 1 ? t("conv.where_filter", oy + 1, ox + 1, oc + 1) : t("conv.where", oy + 1, ox + 1) });
      }
      rows.push(row);
    }
    const tb = table(rows, { id: "conv-out-" + oc, label: t("conv.output_grid", oc + 1), cls: od, caption: R.shape[0] > 1 ? t("conv.output_grid", oc + 1) : "" });
    for (const tr of tb.tBodies[0].rows) for (const td of tr.cells) outCells.push(td);
    tb.tabIndex = 0; // focusable, so a scrolled output can be scrolled by keyboard
    tb.addEventListener("click", (e) => {
      const td = e.target.closest("td");
      if (td) setState({ step: Number(td.dataset.i) + 1 }, { source: "user" });
    });
    outs.push(el("div", { cls: "grid-wrap" }, tb));
  }
  $("#conv-out-grids").replaceChildren(...outs);

  // Large inputs also as pictures.
  const imgs = [];
  outRects = [];
  if (S.in_h * S.in_w >= 100) {
    for (let c = 0; c < S.channels; c++) imgs.push(image("conv-img-in-" + c, t("conv.image_input", c + 1), S.x.slice(c * S.in_h * S.in_w, (c + 1) * S.in_h * S.in_w), S.in_h, S.in_w, false));
    for (let oc = 0; oc < R.shape[0]; oc++) imgs.push(image("conv-img-out-" + oc, t("conv.image_output", oc + 1), R.output[oc].flat(), g.out_h, g.out_w, true, outRects));
  }
  $("#conv-images").replaceChildren(...imgs);
  $("#conv-out-size").textContent = `${g.out_h}×${g.out_w}`;
  renderFacts(g, uncov);
  lastMarked = [];
  kFilter = -1;
  stepper.set(R.steps.length, S.step);
  S.step = stepper.step;
  showStep(source);
  restoreFocus();
}

function rememberFocus() {
  const a = document.activeElement;
  const tb = a?.closest?.("table.editable");
  if (tb && root.contains(tb)) {
    const td = tb.querySelector("td.active");
    focusMemo = { id: tb.id, r: td ? td.parentElement.sectionRowIndex : 0, c: td ? td.cellIndex : 0 };
  } else focusMemo = null;
}
function restoreFocus() {
  if (!focusMemo) return;
  const tb = document.getElementById(focusMemo.id);
  if (tb) {
    tb.focus({ preventScroll: true });
    ctls.get(tb)?.setActive(focusMemo.r, focusMemo.c);
  }
  focusMemo = null;
}

// Hovering or focusing a copied padding cell lights up the cell it copies.
function highlightSource(c, td) {
  for (const e of root.querySelectorAll(".srchl")) e.classList.remove("srchl");
  if (!td || !td.dataset.src || !R) return;
  const [sy, sx] = td.dataset.src.split(",").map(Number);
  const y = sy + R.geometry.pad_top, x = sx + R.geometry.pad_left;
  inCells[c]?.[y]?.[x]?.classList.add("srchl");
  td.classList.add("srchl");
}

// image draws values as an SVG picture; rects (if given) collects
// [rect, fill] so the output can fill in step by step.
function image(id, label, v, h, w, diverging, rects) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("id", id);
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const [lo, hi] = minMax(v);
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  v.forEach((x, i) => {
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("x", i % w);
    r.setAttribute("y", Math.floor(i / w));
    r.setAttribute("width", 1);
    r.setAttribute("height", 1);
    const fill = diverging ? divergingFill(x, m) : gray(x, lo, hi);
    r.setAttribute("fill", fill);
    rects?.push([r, fill]);
    svg.append(r);
  });
  return el("figure", { cls: "conv-image" }, svg, el("figcaption", { text: label }));
}
const PENDING = "#e4e7eb"; // an output pixel not computed yet (as divergingImage in Go)
const hex = (n) => Math.round(n).toString(16).padStart(2, "0");
function gray(x, lo, hi) { const c = hi > lo ? ((x - lo) / (hi - lo)) * 255 : 0; return "#" + hex(c) + hex(c) + hex(c); }
// Same colours as divergingFill in Go: blue below zero, orange above.
function divergingFill(x, m) {
  if (m === 0) return "#ffffff";
  let tt = Math.max(-1, Math.min(1, x / m));
  let to = [0xe6, 0x9f, 0x00];
  if (tt < 0) { to = [0x00, 0x72, 0xb2]; tt = -tt; }
  return "#" + to.map((c) => hex(255 + (c - 255) * tt)).join("");
}

// Rows and columns of the padded grid that no window covers.
function uncovered(g) {
  const rows = new Set(), cols = new Set();
  if (g.transposed) return { rows, cols };
  const mark = (n, out, s, ek, set) => {
    const cov = new Array(n).fill(false);
    for (let o = 0; o < out; o++) for (let i = o * s; i < o * s + ek && i < n; i++) cov[i] = true;
    cov.forEach((c, i) => { if (!c) set.add(i); });
  };
  mark(g.padded_h, g.out_h, g.stride[0], g.dilation[0] * (g.kernel_size[0] - 1) + 1, rows);
  mark(g.padded_w, g.out_w, g.stride[1], g.dilation[1] * (g.kernel_size[1] - 1) + 1, cols);
  return { rows, cols };
}

function formula(g, a) {
  const i = a ? g.in_w : g.in_h, o = a ? g.out_w : g.out_h;
  const k = g.kernel_size[a], s = g.stride[a], d = g.dilation[a];
  if (g.transposed) {
    const p = a ? g.pad_left : g.pad_top, op = g.output_padding[a];
    return `o = (i − 1)·s − 2p + d(k − 1) + output_padding + 1 = (${i} − 1)·${s} − 2·${p} + ${d}·(${k} − 1) + ${op} + 1 = ${o}`;
  }
  const p1 = a ? g.pad_left : g.pad_top, p2 = a ? g.pad_right : g.pad_bottom;
  const pad = p1 === p2 ? `2·${p1}` : `${p1} + ${p2}`;
  const n = i + p1 + p2 - d * (k - 1) - 1;
  const rem = n % s ? ` (${n} = ${s}·${Math.floor(n / s)} + ${n % s})` : "";
  return `o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(${i} + ${pad} − ${d}·(${k} − 1) − 1) / ${s}⌋ + 1 = ⌊${n} / ${s}⌋ + 1 = ${o}${rem}`;
}

function pytorch(g) {
  const tup = (v) => (v[0] === v[1] ? String(v[0]) : `(${v[0]}, ${v[1]})`);
  const args = [S.channels, S.filters, "kernel_size=" + tup(g.kernel_size)];
  if (g.stride[0] !== 1 || g.stride[1] !== 1) args.push("stride=" + tup(g.stride));
  if (S.pad_str && !g.transposed) args.push(`padding='${S.pad_str}'`);
  else if (S.pad_h || S.pad_w) args.push("padding=" + tup([S.pad_h, S.pad_w]));
  if (g.transposed && (g.output_padding[0] || g.output_padding[1])) args.push("output_padding=" + tup(g.output_padding));
  if (g.dilation[0] !== 1 || g.dilation[1] !== 1) args.push("dilation=" + tup(g.dilation));
  if (!S.bias) args.push("bias=False");
  if (g.padding_mode !== "zeros") args.push(`padding_mode='${g.padding_mode}'`);
  return (g.transposed ? "nn.ConvTranspose2d(" : "nn.Conv2d(") + args.join(", ") + ")";
}

function renderFacts(g, uncov) {
  const dl = el("dl", { cls: "facts" });
  const add = (dt, ...dd) => dl.append(el("dt", { text: dt }), el("dd", null, ...dd));
  add(t("conv.output_size"), el("b", { text: `${g.out_h}×${g.out_w}` }));
  const f = el("dd", { cls: "formula", "data-testid": "formula" },
    el("span", { cls: "mono" }, el("b", { text: "H:" }), " " + formula(g, 0)),
    el("span", { cls: "mono" }, el("b", { text: "W:" }), " " + formula(g, 1)));
  dl.append(el("dt", { text: t("conv.formula") }), f);
  const notes = [];
  const name = (set, n, before, size, key) => {
    const real = [];
    let pad = 0;
    for (let i = 0; i < n; i++) {
      if (!set.has(i)) continue;
      const p = i - before;
      if (p >= 0 && p < size) real.push(p + 1); else pad++;
    }
    if (real.length) notes.push(t(key, real.join(", ")));
    if (pad) notes.push(t(key + "_pad", pad));
  };
  name(uncov.rows, g.padded_h, g.pad_top, g.in_h, "conv.uncovered_rows");
  name(uncov.cols, g.padded_w, g.pad_left, g.in_w, "conv.uncovered_cols");
  if (notes.length) {
    dl.append(el("dt", { text: t("conv.uncovered") }), el("dd", { cls: "uncovered-note" }, ...notes.map((n) => el("span", { text: n }))));
  }
  add("PyTorch", el("code", { cls: "pytorch", text: pytorch(g) }));
  add(t("conv.out_shape"), el("code", { text: `torch.Size([1, ${R.shape[0]}, ${R.shape[1]}, ${R.shape[2]}])` }));
  const wl = g.params - (S.bias ? S.filters : 0);
  add(t("conv.params"), t("conv.params_count", g.params, wl, S.bias ? S.filters : 0));
  add(t("conv.macs"), String(g.macs));
  $("#conv-facts").replaceChildren(dl);
}

// showStep marks the current window and writes the current step out.
function showStep(source) {
  if (pending) return; // the answer for the new state is on its way
  if (!R || !R.steps.length) { syncURL(); emit(source); return; }
  const n = R.steps.length;
  S.step = Math.max(1, Math.min(n, S.step | 0 || 1));
  stepper.set(n, S.step);
  const st = R.steps[S.step - 1];
  const g = R.geometry;
  for (const e of lastMarked) { e.classList.remove("win", "tap", "src", "current"); delete e.dataset.w; }
  lastMarked = [];
  const ekh = g.dilation[0] * (g.kernel_size[0] - 1) + 1, ekw = g.dilation[1] * (g.kernel_size[1] - 1) + 1;
  for (let c = 0; c < inCells.length; c++) {
    for (let y = st.window_y; y < st.window_y + ekh; y++) for (let x = st.window_x; x < st.window_x + ekw; x++) {
      const td = inCells[c][y]?.[x];
      if (td) { td.classList.add("win"); lastMarked.push(td); }
    }
  }
  for (const tp of st.taps) {
    const td = inCells[tp.c]?.[tp.y]?.[tp.x];
    if (td) { td.classList.add("tap"); td.dataset.w = "×" + fmt(tp.weight); }
    if (tp.kind === "copy") {
      const src = inCells[tp.c]?.[tp.src_y + g.pad_top]?.[tp.src_x + g.pad_left];
      if (src) { src.classList.add("src"); lastMarked.push(src); }
    }
  }
  // Output so far.
  outCells.forEach((td, i) => {
    const done = i < S.step;
    const oc = Math.floor(i / (g.out_h * g.out_w)), r = i % (g.out_h * g.out_w);
    const v = R.output[oc][Math.floor(r / g.out_w)][r % g.out_w];
    const want = done ? fmt(v) : "";
    if (td.textContent !== want) td.textContent = want;
    td.className = "cell out" + (done ? " done " + sign(v) : "") + (i === S.step - 1 ? " current" : "");
  });
  outRects.forEach(([r, fill], i) => r.setAttribute("fill", i < S.step ? fill : PENDING));
  // The kernel slices of this step's filter (rebuilt when the filter changes).
  if (kFilter !== st.out_channel) kTables.forEach((kt, c) => {
    const rows = [];
    for (let ky = 0; ky < S.kh; ky++) {
      const row = [];
      for (let kx = 0; kx < S.kw; kx++) {
        const v = S.w[widx(S, st.out_channel, c, ky, kx)];
        row.push({ text: fmt(v), cls: "cell k " + sign(v), data: { ky, kx } });
      }
      rows.push(row);
    }
    const fresh = table(rows, { id: "conv-k-" + c, label: t("conv.kernel_grid", st.out_channel + 1, c + 1), cls: "kernel" });
    fresh.dataset.label = t("conv.kernel_grid", st.out_channel + 1, c + 1);
    const had = document.activeElement === kt;
    const memo = had ? kt.querySelector("td.active") : null;
    kt.replaceWith(fresh);
    kTables[c] = fresh;
    const ctl = editable(fresh, {
      canEdit: () => true,
      onEdit: () => stepper.pause(),
      label: (td) => t("conv.edit_label", Number(td.dataset.ky) + 1, Number(td.dataset.kx) + 1),
      commit: (td, text) => editValue("w", widx(S, st.out_channel, c, Number(td.dataset.ky), Number(td.dataset.kx)), text),
    });
    ctls.set(fresh, ctl);
    kFilter = st.out_channel;
    if (had) {
      fresh.focus({ preventScroll: true });
      if (memo) ctl.setActive(memo.parentElement.sectionRowIndex, memo.cellIndex);
    }
  });
  root.querySelectorAll(".ch-sum").forEach((p, i) => {
    const j = st.channels.indexOf(i);
    p.textContent = "";
    if (j >= 0) p.append(t("conv.channel_sum", t("conv.channel", i + 1)) + " ", el("b", { text: fmt(st.channel_sums[j]) }));
  });
  renderDetail(st);
  $("#conv-step-index").textContent = `${S.step} / ${n}`;
  $("#conv-bar-sum").textContent = fmt(st.sum);
  reveal(inCells[0]?.[st.window_y]?.[st.window_x]);
  reveal(outCells[S.step - 1]);
  const base = location.pathname + "?";
  const at = (k) => { const c = { ...S, step: Math.max(1, Math.min(n, k)) }; return base + toQuery(c); };
  $("#conv-prev").href = at(S.step - 1);
  $("#conv-next").href = at(S.step + 1);
  syncURL();
  emit(source);
}

// reveal scrolls a grid's own scroll box (not the page) so td shows.
function reveal(td) {
  const box = td?.closest(".grid-wrap");
  if (!box || box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) return;
  const b = box.getBoundingClientRect(), r = td.getBoundingClientRect();
  const behavior = reducedMotion() ? "auto" : "smooth";
  let dx = 0, dy = 0;
  if (r.left < b.left) dx = r.left - b.left - r.width;
  else if (r.right > b.right) dx = r.right - b.right + r.width * 3;
  if (r.top < b.top) dy = r.top - b.top - r.height;
  else if (r.bottom > b.bottom) dy = r.bottom - b.bottom + r.height * 3;
  if (dx || dy) box.scrollBy({ left: dx, top: dy, behavior });
}

function where(st) {
  return S.filters > 1 ? t("conv.where_filter", st.out_y + 1, st.out_x + 1, st.out_channel + 1) : t("conv.where", st.out_y + 1, st.out_x + 1);
}

function equation(st) {
  const multi = st.channels.length > 1;
  let terms = [];
  for (const c of st.channels) {
    const ct = st.taps.filter((tp) => tp.c === c).map((tp) => fmt(tp.input) + "×" + paren(fmt(tp.weight)));
    if (multi) terms.push("(" + ct.join(" + ") + ")"); else terms.push(...ct);
  }
  if (multi && st.taps.length > 27) terms = st.channel_sums.map((v) => paren(fmt(v)));
  let eq = terms.join(" + ");
  if (S.bias) eq += " + " + paren(fmt(st.bias));
  return eq + " = " + fmt(st.sum);
}

// linkTap lights the input cell and the weight of the product under the
// pointer (a product chip of "This step").
function linkTap(st, li) {
  for (const e of root.querySelectorAll(".tap-hl")) e.classList.remove("tap-hl");
  if (!li) return;
  const tp = st.taps[Number(li.dataset.tap)];
  if (!tp) return;
  li.classList.add("tap-hl");
  inCells[tp.c]?.[tp.y]?.[tp.x]?.classList.add("tap-hl");
  if (tp.c < kTables.length) cellAt(kTables[tp.c], tp.ky, tp.kx)?.classList.add("tap-hl");
}

function renderDetail(st) {
  const box = $("#conv-detail");
  const multi = st.channels.length > 1;
  const kids = [el("p", { cls: "where", text: where(st) })];
  st.channels.forEach((c, i) => {
    const ol = el("ol", { cls: "terms", "aria-label": t("conv.products") });
    for (const [ti, tp] of st.taps.entries()) {
      if (tp.c !== c) continue;
      ol.append(el("li", { cls: tp.kind, "data-tap": ti }, el("span", { cls: "x", text: fmt(tp.input) }), "×",
        el("span", { cls: "w", text: fmt(tp.weight) }), " = ", el("span", { cls: "p", text: fmt(tp.product) })));
    }
    kids.push(el("div", { cls: "term-group" },
      multi ? el("p", { cls: "group-label", text: t("conv.channel", c + 1) }) : null, ol,
      multi ? el("p", { cls: "group-sum" }, "= ", el("b", { text: fmt(st.channel_sums[i]) })) : null));
  });
  if (S.bias) kids.push(el("p", { cls: "bias" }, t("conv.bias") + ": ", el("b", { text: fmt(st.bias) })));
  const eq = equation(st);
  kids.push(el("p", { cls: "equation mono", "data-testid": "equation", text: eq }));
  kids.push(el("p", { cls: "sum" }, t("conv.sum") + " ", el("output", { cls: "current-sum", "data-testid": "current-sum", text: fmt(st.sum) })));
  box.replaceChildren(...kids);
  curStep = st;
  narrate(st, eq);
}

// narrate says the step in words (aria-live). While playing faster than a
// listener can follow, it waits for the pause.
function narrate(st, eq) {
  if (stepper?.playing && stepper.interval < 1500) return;
  const live = $("#conv-live");
  const say = where(st) + ": " + (eq ?? equation(st));
  if (live.textContent !== say) live.textContent = say;
}

// ---------- editing ----------

function editValue(which, i, text) {
  const v = Number(text.replace(",", ".").replace("−", "-"));
  if (text === "" || !Number.isFinite(v)) return t("conv.err.value", which, text);
  if (Math.abs(v) > LIM.abs) return t("conv.err.big", which, text, LIM.abs);
  const arr = S[which].slice();
  arr[i] = v;
  setState({ [which]: arr, [which + "_set"]: true }, { source: "user" });
  return "";
}

const NAMED = {
  edge: [-1, -1, -1, -1, 8, -1, -1, -1, -1],
  sharpen: [0, -1, 0, -1, 5, -1, 0, -1, 0],
  "sobel-x": [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  "sobel-y": [-1, -2, -1, 0, 0, 0, 1, 2, 1],
};

function namedKernel(name) {
  if (!name || !S) return;
  const fixed = NAMED[name];
  const patch = {};
  let s = S;
  if (fixed && (S.kh !== 3 || S.kw !== 3)) {
    s = { ...clone(S), kh: 3, kw: 3 };
    reshape(S, s);
    Object.assign(patch, { kh: 3, kw: 3 });
  }
  const w = s.w.slice();
  const f = R && R.steps.length ? R.steps[S.step - 1].out_channel : 0;
  for (let c = 0; c < s.channels; c++) for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
    let v;
    if (fixed) v = fixed[ky * 3 + kx];
    else if (name === "identity") v = ky === Math.floor(s.kh / 2) && kx === Math.floor(s.kw / 2) ? 1 : 0;
    else v = 1 / (s.kh * s.kw); // box blur
    w[widx(s, f, c, ky, kx)] = v;
  }
  Object.assign(patch, { w, w_set: true });
  setState(patch, { source: "user" });
}

function randomFill() {
  const x = S.x.map(() => Math.floor(Math.random() * 10));
  setState({ x, x_set: true }, { source: "user" });
}

// ---------- controls ----------

function syncControls() {
  const f = $("#conv-form");
  if (!f) return;
  const set = (name, v) => { const e = f.elements[name]; if (e && e !== document.activeElement) { if (e.type === "checkbox") e.checked = v; else e.value = v; } };
  set("preset", S.preset || "");
  set("input", pair(S.in_h, S.in_w));
  set("kernel", pair(S.kh, S.kw));
  set("stride", pair(S.sh, S.sw));
  set("dilation", pair(S.dh, S.dw));
  set("padkind", S.pad_str || "num");
  set("padding", pair(S.pad_h, S.pad_w));
  set("mode", S.mode);
  set("channels", S.channels);
  set("filters", S.filters);
  set("bias", S.bias);
  set("transposed", S.transposed);
  set("output_padding", pair(S.oph, S.opw));
  f.elements.padding.disabled = !!S.pad_str;
  f.elements.output_padding.disabled = !S.transposed;
  f.querySelector(".ctl-op")?.classList.toggle("off", !S.transposed);
}

// readControls turns the form into a config patch, or an error message.
function readControls() {
  const f = $("#conv-form").elements;
  const errs = [];
  const pairOf = (name, lo, hi) => {
    const raw = f[name].value.trim();
    const m = raw.replace(/[×X*,]/g, "x").match(/^\s*(\d+)\s*(?:x\s*(\d+)\s*)?$/);
    if (!m) { errs.push(t("conv.err.pair", name, raw)); return [lo, lo]; }
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (a < lo || a > hi || b < lo || b > hi) { errs.push(t("conv.err.range", name, raw, lo, hi)); return [lo, lo]; }
    return [a, b];
  };
  const intOf = (name, lo, hi) => {
    const raw = f[name].value.trim();
    const n = Number(raw);
    if (!/^\d+$/.test(raw)) { errs.push(t("conv.err.number", name, raw)); return lo; }
    if (n < lo || n > hi) { errs.push(t("conv.err.range", name, raw, lo, hi)); return lo; }
    return n;
  };
  const p = {};
  [p.in_h, p.in_w] = pairOf("input", 1, LIM.input);
  [p.kh, p.kw] = pairOf("kernel", 1, LIM.kernel);
  [p.sh, p.sw] = pairOf("stride", 1, LIM.stride);
  [p.dh, p.dw] = pairOf("dilation", 1, LIM.dilation);
  const kind = f.padkind.value;
  p.pad_str = kind === "same" || kind === "valid" ? kind : "";
  if (p.pad_str) { p.pad_h = 0; p.pad_w = 0; } else [p.pad_h, p.pad_w] = pairOf("padding", 0, LIM.padding);
  p.mode = f.mode.value;
  p.channels = intOf("channels", 1, LIM.channels);
  p.filters = intOf("filters", 1, LIM.filters);
  p.bias = f.bias.checked;
  p.transposed = f.transposed.checked;
  if (p.transposed) [p.oph, p.opw] = pairOf("output_padding", 0, LIM.kernel);
  else { p.oph = 0; p.opw = 0; }
  return errs.length ? { error: errs.join(" ") } : { patch: p };
}

function applyControls() {
  const r = readControls();
  if (r.error) { showError(r.error); return; }
  const changed = Object.entries(r.patch).some(([k, v]) => S[k] !== v);
  if (changed) setState({ ...r.patch, step: 1 }, { source: "user" });
  else if (!ERR) $("#conv-error").classList.add("hidden-msg");
}

function wireControls() {
  const form = $("#conv-form");
  form.addEventListener("submit", (e) => { e.preventDefault(); applyControls(); });
  form.addEventListener("change", (e) => {
    if (e.target.name === "preset") {
      const v = e.target.value;
      if (v) {
        const q = new URLSearchParams(location.search);
        for (const k of OWN) q.delete(k);
        q.set("preset", v);
        location.assign(location.pathname + "?" + q.toString());
      }
      return;
    }
    applyControls();
  });
  $("#conv-random")?.addEventListener("click", randomFill);
  $("#conv-named")?.addEventListener("change", (e) => { namedKernel(e.target.value); e.target.value = ""; });
  syncControls();
}

// ---------- mount ----------

export function mount(el0, data) {
  root = el0;
  M = data.messages || {};
  LIM = data.limits || {};
  S = data.state;
  R = data.result;
  if (R && R.packed) { R.steps = unpackSteps(R.packed, R.geometry); delete R.packed; }
  ERR = data.error || "";
  root.classList.add("js");
  // On a phone the settings start folded: the grids come first.
  if (window.matchMedia?.("(max-width: 40rem)").matches) $("#conv-settings")?.removeAttribute("open");
  if (reducedMotion()) root.classList.add("reduced-motion");
  stepper = mountStepper(root, {
    count: R ? R.steps.length : 0,
    step: S.step,
    t,
    onStep: (n, source) => { S.step = n; showStep(source); },
    onPause: () => { if (R && R.steps.length && !pending) narrate(R.steps[S.step - 1]); },
  });
  wireControls();
  const det = $("#conv-detail");
  det.addEventListener("mouseover", (e) => curStep && linkTap(curStep, e.target.closest?.("li[data-tap]")));
  det.addEventListener("mouseleave", () => curStep && linkTap(curStep, null));
  renderAll("load");
  const api = { self: SELF, getState, setState, subscribe, toQuery, getResult, getError, step, play, pause };
  window.convlabVisualizer = api;
  document.dispatchEvent(new CustomEvent("conv:ready", { detail: api }));
}

function start() {
  const node = document.getElementById("conv");
  const dataEl = document.getElementById("conv-data");
  if (!node || !dataEl || node.dataset.mounted) return;
  node.dataset.mounted = "1";
  let data;
  try { data = JSON.parse(dataEl.textContent); } catch (e) { console.error("conv-data:", e); return; }
  mount(node, data);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
