// Presenter mode (?present=1) on a projector: the visualizer's stage
// (input and filter, output, "This step") is fitted into the screen, so
// the class sees the window, its products and their sum without anyone
// scrolling. It picks the largest cell size at which the grids fit the
// height left under the stepper and the width of the page, with "This
// step" whole beside them (a binary search over --fit-cell, measured by
// the browser's own layout), then the largest type for "This step"
// (--detail-scale). Cells never get smaller than MIN, so every number
// stays readable from the back of a room (≥ 14 px, conv.css); a large
// grid that cannot fit at MIN (the 28×28 digit) becomes a heat map (class
// "heat": shades without numbers, which stay in "This step" and on a
// hovered or focused cell) with cells down to HEAT_MIN; a stage that
// cannot fit even so is left unfitted (the page scrolls). Only layout: no
// arithmetic of the convolution here.

const MIN = 28, MAX = 88;  // px per cell with numbers
const HEAT_MIN = 6;        // px per cell of a heat map
const DETAIL_MIN = 0.68;   // "This step" type scale: 1.3rem × 0.68 ≈ 14 px
const WIDE_ENOUGH = 960;   // below this (tablets, phones) the page scrolls as usual

export function fit(root) {
  const stage = root.querySelector("#conv-stage");
  if (!stage) return;
  const on = document.body.classList.contains("present") && innerWidth >= WIDE_ENOUGH;
  root.classList.toggle("fitted", on);
  const reset = () => {
    for (const p of ["--fit-cell", "--stage-h", "--detail-scale"]) root.style.removeProperty(p);
    stage.classList.remove("heat", "no-eq");
  };
  reset();
  if (!on) return;
  // /conv: the stage fills the screen down to its bottom edge (the facts
  // and the footer come after it, below the fold). A visualizer further
  // down a page (a lesson stop under its text) fills the screen the
  // presenter scrolls it to (its settings at the top).
  const rootTop = root.getBoundingClientRect().top + scrollY;
  const embed = rootTop > innerHeight * 0.4;
  const top = stage.getBoundingClientRect().top + scrollY - (embed ? rootTop : 0);
  const below = 8;
  root.style.setProperty("--stage-h", Math.max(240, Math.floor(innerHeight - top - below)) + "px");
  const parts = [...stage.children].filter((e) => e.tagName === "SECTION" && !e.classList.contains("conv-detail"));
  const boxes = [...stage.querySelectorAll(".grid-wrap")];
  const det = stage.querySelector(".conv-detail");
  const inside = (e) => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1;
  const grids = () => inside(stage) && parts.every(inside) && boxes.every(inside);
  const scale = (s) => root.style.setProperty("--detail-scale", String(s));
  // The grids fit, and "This step" fits beside them at its smallest type.
  const whole = () => grids() && (!det || (scale(DETAIL_MIN), inside(det)));
  const cellAt = (px) => root.style.setProperty("--fit-cell", px + "px");
  const search = (lo, hi, ok) => {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      cellAt(mid);
      if (ok()) lo = mid; else hi = mid;
    }
    return lo;
  };
  const tryCells = (lo, ok) => { cellAt(lo); return ok() ? search(lo, MAX, ok) : 0; };
  // In order: numbers and the whole step; numbers without the step's one-line
  // equation (its products are above it); the grids alone ("This step"
  // scrolls, focusable).
  let cell = tryCells(MIN, whole);
  if (!cell) { stage.classList.add("no-eq"); cell = tryCells(MIN, whole); }
  if (!cell) { stage.classList.remove("no-eq"); cell = tryCells(MIN, grids); }
  // Only a grid too large for numbers (the server's "tiny": the digit)
  // becomes a heat map; smaller grids keep their numbers and, if they do
  // not fit even at MIN, the page scrolls as it does off a projector.
  const tiny = stage.querySelector("table.grid.tiny") !== null;
  if (!cell && tiny) {
    stage.classList.add("heat");
    cell = tryCells(HEAT_MIN, whole);
    if (!cell) { stage.classList.add("no-eq"); cell = tryCells(HEAT_MIN, whole); }
    if (!cell) { stage.classList.remove("no-eq"); cell = tryCells(HEAT_MIN, grids) || HEAT_MIN; }
  }
  if (!cell) {
    root.classList.remove("fitted");
    reset();
    return;
  }
  cellAt(cell);
  if (det) {
    scale(1);
    fitDetail(det, scale);
  }
  reveal(root);
}

// fitDetail gives "This step" the largest type (scale ≤ its current one)
// at which it fits; if it still does not, it takes the focus, so a
// keyboard can scroll it.
function fitDetail(det, scale) {
  const inside = () => det.scrollHeight <= det.clientHeight + 1;
  if (!inside()) {
    let lo = DETAIL_MIN, hi = Number(getComputedStyle(det).getPropertyValue("--detail-scale")) || 1;
    for (let i = 0; i < 6; i++) {
      const mid = (lo + hi) / 2;
      scale(mid);
      if (inside()) lo = mid; else hi = mid;
    }
    scale(lo.toFixed(3));
  }
  if (inside()) det.removeAttribute("tabindex");
  else det.tabIndex = 0;
}

// reveal keeps the window and the current output cell in view when their
// grid scrolls inside its box.
function reveal(root) {
  for (const sel of ["#conv-in-0 td.win", "#conv-out-grids td.current"]) {
    const td = root.querySelector(sel);
    const box = td?.closest(".grid-wrap");
    if (td && box && (box.scrollHeight > box.clientHeight || box.scrollWidth > box.clientWidth)) {
      const b = box.getBoundingClientRect(), r = td.getBoundingClientRect();
      box.scrollTop += r.top - b.top - (b.height - r.height) / 2;
      box.scrollLeft += r.left - b.left - (b.width - r.width) / 2;
    }
  }
}

function start() {
  const root = document.getElementById("conv");
  if (!root) return;
  let stage = null, timer = 0;
  const again = () => { stage = root.querySelector("#conv-stage"); fit(root); };
  const soon = () => { clearTimeout(timer); timer = setTimeout(again, 100); };
  addEventListener("resize", soon);
  // After an edit the stage is a new element: fit it again; a step keeps
  // the grids and only shrinks the type of "This step" if it must.
  const scale = (s) => root.style.setProperty("--detail-scale", String(s));
  let frame = 0; // one check of "This step" per frame, however fast the steps come
  root.addEventListener("conv:change", () => {
    if (root.querySelector("#conv-stage") !== stage) { again(); return; }
    if (!root.classList.contains("fitted") || frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const det = stage.querySelector(".conv-detail");
      if (det && root.classList.contains("fitted")) fitDetail(det, scale);
    });
  });
  root.querySelector("#conv-settings")?.addEventListener("toggle", soon);
  if (window.convlabVisualizer) again();
  else document.addEventListener("conv:ready", again, { once: true });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
