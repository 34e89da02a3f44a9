// The convolution visualizer (/conv). The server renders everything the
// page shows (views/conv.templ, from internal/convview) and leaves the
// state and the whole trace, already formatted, in the JSON block
// "conv-data". This module has three jobs and no arithmetic:
//
//  - stepping: it fills the numbers of the step the server wrote out into
//    the markup templ rendered (the grids, the <template>s of "This step");
//  - edits: a typed value, the settings form, a named kernel, setState from
//    another script go to POST /conv/stage; the answer is the new stage,
//    rendered by the same templ components, swapped in by id;
//  - the API other scripts use (the classroom follow-along, a quiz):
//
//   window.convlabVisualizer (or this module's exports):
//   const off = subscribe((state, info) => { ... info.source, info.error });
//   await setState({ step: 4 });                            // just the step
//   await setState({ sh: 2, sw: 2 }, { source: "follow" }); // the server recomputes
//   await setState(fullStateFromLeader, { source: "follow", replace: true });
//   toQuery() // the state's /conv query (the server wrote it; only step= is set here)
//
// The page dispatches "conv:change" on #conv (detail {state, source,
// error}) and "conv:ready" on document (detail: the API) once mounted.
// The page is not rebuilt on load: the server's nodes stay.

import { editable, cellAt } from "./grid.js";
import { mount as mountStepper, reducedMotion } from "./stepper.js";
import { format } from "./i18n.js";

let D = null;        // the server's data: {state, query, ok, error, form, steps, out, ...}
let S = null;        // the state (D.state, with the step the page shows)
let root = null;
let stepper = null;
let seq = 0;         // request sequence: only the latest answer is shown
let pending = 0;     // the request being waited for (steps wait for it)
let aborter = null;
const listeners = new Set();

const $ = (sel) => root.querySelector(sel);
const t = (key, ...args) => format(D && Object.hasOwn(D.messages, key) ? D.messages[key] : key, args);
const clone = (o) => JSON.parse(JSON.stringify(o));

// ---------- the API ----------

// The page has one visualizer. A second copy of this module (imported
// under another URL, e.g. without the ?v= hash) forwards to the mounted one.
const SELF = {};
const other = () => (root === null && window.convlabVisualizer && window.convlabVisualizer.self !== SELF ? window.convlabVisualizer : null);

export function getState() { return other() ? other().getState() : S ? clone(S) : null; }
export function getError() { return other() ? other().getError() : D ? D.error : ""; }

// toQuery is the state's URL query: the server's (convstate), with the
// step the page shows.
export function toQuery() {
  if (other()) return other().toQuery();
  return D ? stepQuery(S.step).toString() : "";
}

function stepQuery(n) {
  const q = new URLSearchParams(D.query);
  if (n > 1) q.set("step", n);
  return q;
}

export function subscribe(fn) {
  if (other()) return other().subscribe(fn);
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(source) {
  const st = getState();
  for (const fn of listeners) {
    try { fn(st, { source, error: D.error }); } catch (e) { console.error(e); }
  }
  root?.dispatchEvent(new CustomEvent("conv:change", { detail: { state: st, source, error: D.error } }));
}

// setState changes the state. A change of only the step is drawn at once;
// anything else asks the server (the promise resolves when the page shows
// its answer). opts.replace: patch is the whole state.
export async function setState(patch, opts = {}) {
  if (other()) return other().setState(patch, opts);
  if (!S || !patch) return getState();
  const source = opts.source || "api";
  const next = opts.replace ? patch : { ...S, ...patch };
  const same = JSON.stringify({ ...S, step: 0 }) === JSON.stringify({ ...S, ...next, step: 0 });
  if (same) {
    // Only the step: drawn here (or, while an answer is on its way or the
    // state cannot run, nothing to draw; an edit in flight is not dropped).
    if (Number.isInteger(next.step)) S.step = next.step;
    if (D.ok && !pending) showStep(source);
    return getState();
  }
  await edit({ patch: opts.replace ? patch : withoutSame(patch), replace: !!opts.replace }, source);
  return getState();
}

const withoutSame = (patch) => Object.fromEntries(Object.entries(patch).filter(([k, v]) => JSON.stringify(S[k]) !== JSON.stringify(v) || k === "step"));

export function step(n) { return setState({ step: n }, { source: "user" }); }
export function play() { if (other()) other().play(); else stepper?.play(); }
export function pause() { if (other()) other().pause(); else stepper?.pause(); }

// ---------- edits: the server answers with the new stage ----------

async function edit(e, source) {
  const my = ++seq;
  pending = my;
  aborter?.abort();
  aborter = new AbortController();
  root.classList.add("loading");
  let html = null, err = "";
  try {
    // The stage speaks the page's language.
    const r = await fetch("/conv/stage?lang=" + encodeURIComponent(document.documentElement.lang || "en"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/html" },
      body: JSON.stringify({ state: S, ...e }),
      signal: aborter.signal,
    });
    // A stage is 200 (shown) or 422 (refused, with the reason); anything
    // else is JSON {"error"}.
    if ((r.status === 200 || r.status === 422) && (r.headers.get("Content-Type") || "").startsWith("text/html")) html = await r.text();
    else err = (await r.json().catch(() => ({}))).error || r.statusText || String(r.status);
  } catch (ex) {
    if (ex.name === "AbortError") return;
    err = t("conv.err.network", ex.message);
  }
  if (my !== seq) return;
  pending = 0;
  root.classList.remove("loading");
  if (html === null) {
    // Not a stage (the body was refused before the visualizer saw it, or
    // the network failed): the message as it came.
    const box = $("#conv-error");
    box.replaceChildren(Object.assign(document.createElement("strong"), { textContent: t("conv.err.heading") }), " " + err);
    box.classList.remove("hidden-msg");
    D.error = err;
    emit(source);
    return;
  }
  swap(html);
  settle(source, true);
}

// swap puts the server's fragment in place: each top-level element
// replaces the page's element with the same id.
function swap(html) {
  const focus = rememberFocus();
  const tpl = document.createElement("template");
  tpl.innerHTML = html;
  for (const el of Array.from(tpl.content.children)) {
    if (el.id) document.getElementById(el.id)?.replaceWith(el);
  }
  D = JSON.parse(document.getElementById("conv-data").textContent);
  S = D.state;
  root.classList.toggle("has-error", !D.ok);
  syncControls();
  adopt();
  restoreFocus(focus);
}

// settle brings the stepper, the links and the URL in line with the
// state and tells the listeners.
function settle(source, sync) {
  const n = D.ok ? D.steps.length : 0;
  stepper.set(n, S.step);
  if (n) {
    $("#conv-prev").href = location.pathname + "?" + stepQuery(Math.max(1, S.step - 1));
    $("#conv-next").href = location.pathname + "?" + stepQuery(Math.min(n, S.step + 1));
  }
  if (sync) syncURL();
  emit(source);
}

// Keep the URL in step with the state (a teacher can share the link).
// Parameters that are not the state's (lang, present, ...) stay.
function syncURL() {
  const q = stepQuery(S.step);
  for (const [k, v] of new URLSearchParams(location.search)) if (!D.params.includes(k)) q.append(k, v);
  const url = location.pathname + "?" + q.toString();
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

// ---------- the server's nodes ----------

let inCells = [];     // [channel][y][x] td of the padded input grids
let kTables = [];     // [channel] kernel table
let outCells = [];    // [step index] td of the outputs
let outRects = [];    // [step index] rect of the output pictures
let marked = [];      // cells marked for the current step
let kFilter = -1;     // the filter whose weights the kernel tables show
const ctls = new WeakMap(); // table → its editable() controller

const rows = (tb) => Array.from(tb.tBodies[0].rows, (tr) => Array.from(tr.cells));

// adopt finds the grids the server rendered and wires editing into them.
function adopt() {
  inCells = [];
  kTables = [];
  for (let c = 0; ; c++) {
    const tb = document.getElementById("conv-in-" + c), kt = document.getElementById("conv-k-" + c);
    if (!tb || !kt) break;
    inCells.push(rows(tb));
    kTables.push(kt);
    tb.dataset.label = tb.getAttribute("aria-label");
    kt.dataset.label = kt.getAttribute("aria-label");
    wireGrid(tb, "x", (td) => td.dataset.i !== undefined);
    wireGrid(kt, "w", () => true);
    tb.addEventListener("mouseover", (e) => highlightSource(c, e.target.closest("td")));
    tb.addEventListener("mouseleave", () => highlightSource(c, null));
    // Touch has no hover: a tap on a copied cell shows its source.
    tb.addEventListener("pointerdown", (e) => { if (e.pointerType !== "mouse") highlightSource(c, e.target.closest("td")); });
  }
  outCells = Array.from(root.querySelectorAll("#conv-out-grids td[data-step]")).sort((a, b) => a.dataset.step - b.dataset.step);
  outRects = [];
  for (let oc = 0; ; oc++) {
    const svg = document.getElementById("conv-img-out-" + oc);
    if (!svg) break;
    outRects.push(...svg.querySelectorAll("rect"));
  }
  for (const tb of root.querySelectorAll("#conv-out-grids table")) tb.tabIndex = 0; // a scrolled output scrolls by keyboard
  marked = Array.from(root.querySelectorAll("#conv-channels td.win, #conv-channels td.tap, #conv-channels td.src"));
  kFilter = D.ok ? D.steps[S.step - 1].f : -1;
}

function wireGrid(tb, of, canEdit) {
  ctls.set(tb, editable(tb, {
    canEdit,
    label: (td) => td.dataset.label || "",
    commit: (td, text) => { edit({ cell: { of, index: Number(td.dataset.i), text } }, "user"); return ""; },
    onActive: of === "x" ? (td) => highlightSource(Number(tb.id.slice(8)), td) : undefined,
    onEdit: () => stepper.pause(),
  }));
}

function rememberFocus() {
  const a = document.activeElement;
  if (!a || !root.contains(a)) return null;
  const tb = a.closest?.("table.editable");
  if (tb) {
    const td = tb.querySelector("td.active");
    return { id: tb.id, r: td ? td.parentElement.sectionRowIndex : 0, c: td ? td.cellIndex : 0 };
  }
  return a.id ? { id: a.id } : null;
}

function restoreFocus(m) {
  const e = m && document.getElementById(m.id);
  if (!e || e === document.activeElement) return;
  e.focus({ preventScroll: true });
  if (m.r !== undefined) ctls.get(e)?.setActive(m.r, m.c);
}

// ---------- stepping ----------

// showStep marks the current window and writes the current step out,
// all from the server's Script.Steps.
function showStep(source) {
  if (pending) return; // the answer for the new state is on its way
  if (!D.ok || !D.steps.length) { settle(source, true); return; }
  const n = D.steps.length;
  S.step = Math.max(1, Math.min(n, S.step | 0 || 1));
  const st = D.steps[S.step - 1];
  for (const e of marked) { e.classList.remove("win", "tap", "src"); delete e.dataset.w; }
  marked = [];
  const mark = (td, cls) => { if (td) { td.classList.add(cls); marked.push(td); } };
  const [y0, y1, x0, x1] = st.win;
  for (const cells of inCells) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mark(cells[y]?.[x], "win");
  for (const [c, y, x, , , , w, , , sy, sx] of st.taps) {
    const td = inCells[c]?.[y]?.[x];
    mark(td, "tap");
    if (td) td.dataset.w = w;
    if (sy !== undefined) mark(inCells[c]?.[sy]?.[sx], "src");
  }
  outCells.forEach((td, i) => {
    const done = i < S.step;
    const text = done ? D.out[i] : "";
    if (td.textContent !== text) {
      td.textContent = text;
      if (td.dataset.v !== undefined) td.dataset.v = text; // a heat map's hover label (fit.js)
    }
    td.className = done ? D.out_class[i] : "cell out";
    td.classList.toggle("current", i === S.step - 1);
  });
  outRects.forEach((r, i) => r.setAttribute("fill", i < S.step ? D.out_fill[i] : D.pending));
  if (kFilter !== st.f) {
    kTables.forEach((kt, c) => {
      const k = D.kernels[st.f][c];
      rows(kt).flat().forEach((td, j) => { td.textContent = k.t[j]; td.className = k.c[j]; td.dataset.i = k.i[j]; });
      kt.dataset.label = k.label;
      kt.setAttribute("aria-label", k.label);
    });
    kFilter = st.f;
  }
  root.querySelectorAll(".ch-sum b").forEach((b, c) => { b.textContent = st.ch[c]; });
  fillDetail(st);
  $("#conv-step-index").textContent = st.i;
  $("#conv-bar-sum").textContent = st.sum;
  reveal(inCells[0]?.[y0]?.[x0], inCells[0]?.[y1 - 1]?.[x1 - 1]);
  reveal(outCells[S.step - 1]);
  settle(source, true);
}

let curStep = null; // the step "This step" shows

// fillDetail writes a step into "This step": the templates the server
// rendered (#conv-tpl-group, #conv-tpl-term), filled with its numbers.
function fillDetail(st) {
  const box = $("#conv-detail");
  const groupTpl = box.querySelector("#conv-tpl-group")?.content.firstElementChild;
  const termTpl = box.querySelector("#conv-tpl-term")?.content.firstElementChild;
  if (!groupTpl || !termTpl) return;
  box.querySelector(".where").textContent = st.where;
  const groups = D.channels.map((name, c) => {
    const g = groupTpl.cloneNode(true);
    const label = g.querySelector(".group-label");
    if (label) label.textContent = name;
    const sum = g.querySelector(".group-sum b");
    if (sum) sum.textContent = st.ch[c];
    const ol = g.querySelector("ol");
    st.taps.forEach(([tc, , , , , x, w, p, kind = "real"], i) => {
      if (tc !== c) return;
      const li = termTpl.cloneNode(true);
      li.className = kind;
      li.dataset.tap = i;
      li.querySelector(".x").textContent = x;
      li.querySelector(".w").textContent = w;
      li.querySelector(".p").textContent = p;
      ol.append(li);
    });
    return g;
  });
  box.querySelector(".term-groups").replaceChildren(...groups);
  const bias = box.querySelector(".bias b");
  if (bias) bias.textContent = st.bias ?? "";
  box.querySelector(".equation").textContent = st.eq;
  box.querySelector(".current-sum").textContent = st.sum;
  curStep = st;
  narrate(st);
}

// narrate says the step in words (aria-live). While playing faster than a
// listener can follow, it waits for the pause.
function narrate(st) {
  if (stepper?.playing && stepper.interval < 1500) return;
  const where = $("#conv-live .where"), eq = $("#conv-live .eq");
  if (!where || !eq) return;
  if (where.textContent !== st.where) where.textContent = st.where;
  if (eq.textContent !== st.eq) eq.textContent = st.eq;
}

// reveal scrolls a grid's own scroll box (not the page) so td shows.
function reveal(td, last = td) {
  const box = td?.closest(".grid-wrap");
  if (!box || box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) return;
  // The whole window (its first and last cells), with a cell of margin.
  const b = box.getBoundingClientRect(), a = td.getBoundingClientRect(), z = (last || td).getBoundingClientRect();
  const r = { left: Math.min(a.left, z.left), top: Math.min(a.top, z.top), right: Math.max(a.right, z.right), bottom: Math.max(a.bottom, z.bottom) };
  const cw = a.width, ch = a.height;
  const behavior = reducedMotion() ? "auto" : "smooth";
  let dx = 0, dy = 0;
  if (r.left < b.left) dx = r.left - b.left - cw;
  else if (r.right > b.right) dx = Math.min(r.right - b.right + cw, r.left - b.left);
  if (r.top < b.top) dy = r.top - b.top - ch;
  else if (r.bottom > b.bottom) dy = Math.min(r.bottom - b.bottom + ch, r.top - b.top);
  if (dx || dy) box.scrollBy({ left: dx, top: dy, behavior });
}

// Hovering or focusing a copied padding cell lights up the cell it copies
// (data-src: its place on the padded grid, from the server).
function highlightSource(c, td) {
  for (const e of root.querySelectorAll(".srchl")) e.classList.remove("srchl");
  if (!td || !td.dataset.src) return;
  const [y, x] = td.dataset.src.split(",").map(Number);
  inCells[c]?.[y]?.[x]?.classList.add("srchl");
  td.classList.add("srchl");
}

// linkTap lights the input cell and the weight of the product under the
// pointer (a product of "This step").
function linkTap(li) {
  for (const e of root.querySelectorAll(".tap-hl")) e.classList.remove("tap-hl");
  const st = curStep || (D.ok ? D.steps[S.step - 1] : null);
  const tp = li && st ? st.taps[Number(li.dataset.tap)] : null;
  if (!tp) return;
  const [c, y, x, ky, kx] = tp;
  li.classList.add("tap-hl");
  inCells[c]?.[y]?.[x]?.classList.add("tap-hl");
  if (c < kTables.length) cellAt(kTables[c], ky, kx)?.classList.add("tap-hl");
}

// ---------- the settings form ----------

function syncControls() {
  const f = $("#conv-form");
  if (!f) return;
  for (const [name, v] of Object.entries(D.form)) {
    const e = f.elements[name];
    if (!e || e === document.activeElement) continue;
    if (e.type === "checkbox") e.checked = v; else e.value = v;
  }
  f.elements.padding.disabled = D.form.padkind !== "num";
  f.elements.output_padding.disabled = !D.form.transposed;
  f.querySelector(".ctl-op")?.classList.toggle("off", !D.form.transposed);
}

function wireControls() {
  const form = $("#conv-form");
  const send = () => edit({ form: new URLSearchParams(new FormData(form)).toString() }, "user");
  form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  form.addEventListener("change", (e) => {
    if (e.target.name !== "preset") { send(); return; }
    // A preset is a page of its own: open it (the page's own parameters stay).
    if (!e.target.value) return;
    const q = new URLSearchParams();
    for (const [k, v] of new URLSearchParams(location.search)) if (!D.params.includes(k)) q.append(k, v);
    q.set("preset", e.target.value);
    location.assign(location.pathname + "?" + q.toString());
  });
  // The stage's own tools are swapped with it: listen on the root.
  root.addEventListener("click", (e) => {
    if (e.target.closest?.("#conv-random")) edit({ random: true }, "user");
    const td = e.target.closest?.("#conv-out-grids td[data-step]");
    if (td) setState({ step: Number(td.dataset.step) }, { source: "user" });
  });
  root.addEventListener("change", (e) => {
    if (e.target.id !== "conv-named" || !e.target.value) return;
    edit({ kernel: e.target.value, filter: D.ok ? D.steps[S.step - 1].f : 0 }, "user");
    e.target.value = "";
  });
  root.addEventListener("mouseover", (e) => { if (e.target.closest?.("#conv-detail")) linkTap(e.target.closest("li[data-tap]")); });
  // ... and a tap on a product does the same on touch screens.
  root.addEventListener("pointerdown", (e) => { if (e.pointerType !== "mouse" && e.target.closest?.("#conv-detail")) linkTap(e.target.closest("li[data-tap]")); });
  root.addEventListener("mouseout", (e) => { if (e.target.closest?.("#conv-detail") && !e.relatedTarget?.closest?.("#conv-detail")) linkTap(null); });
}

// ---------- mount ----------

export function mount(el0, data) {
  root = el0;
  D = data;
  S = D.state;
  root.classList.add("js");
  // On a phone the settings start folded: the grids come first.
  if (window.matchMedia?.("(max-width: 40rem)").matches) $("#conv-settings")?.removeAttribute("open");
  if (reducedMotion()) root.classList.add("reduced-motion");
  stepper = mountStepper(root, {
    count: D.ok ? D.steps.length : 0,
    step: S.step,
    t,
    onStep: (n, source) => { S.step = n; showStep(source); },
    onPause: () => { if (D.ok && !pending) narrate(D.steps[S.step - 1]); },
  });
  wireControls();
  syncControls();
  adopt();
  settle("load", D.ok); // a broken link stays as it was, to fix it
  const api = { self: SELF, getState, setState, subscribe, toQuery, getError, step, play, pause };
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
