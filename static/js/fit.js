// Presenter mode (?present=1) on a projector: the visualizer's stage
// (input and filter, output, "This step") is fitted into the screen, so
// the class sees the window, its products and their sum without anyone
// scrolling. It picks the largest cell size at which the three columns
// fit the height left under the stepper and the width of the page
// (a binary search over --fit-cell, measured by the browser's own
// layout); the largest grids (the 28×28 digit) get the smallest cells and
// scroll inside their own boxes, where the visualizer keeps the window in
// view. Only layout: no arithmetic of the convolution here.

const MIN = 12, MAX = 88; // px per cell
const WIDE_ENOUGH = 960;  // below this (tablets, phones) the page scrolls as usual

export function fit(root) {
  const stage = root.querySelector("#conv-stage");
  if (!stage) return;
  const on = document.body.classList.contains("present") && innerWidth >= WIDE_ENOUGH;
  root.classList.toggle("fitted", on);
  if (!on) {
    root.style.removeProperty("--fit-cell");
    root.style.removeProperty("--stage-h");
    return;
  }
  const top = stage.getBoundingClientRect().top + scrollY;
  const footer = document.querySelector(".site-footer");
  const below = footer ? footer.getBoundingClientRect().height + 4 : 8;
  root.style.setProperty("--stage-h", Math.max(240, Math.floor(innerHeight - top - below)) + "px");
  const parts = [...stage.children].filter((e) => e.tagName === "SECTION");
  const boxes = [...stage.querySelectorAll(".grid-wrap")];
  const inside = (e) => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1;
  const fits = () => inside(stage) && parts.every(inside) && boxes.every(inside);
  const search = (ok) => {
    let lo = MIN, hi = MAX;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      root.style.setProperty("--fit-cell", mid + "px");
      if (ok()) lo = mid; else hi = mid;
    }
    return lo;
  };
  root.style.setProperty("--fit-cell", MIN + "px");
  // Everything at once if it can be; else (the digit on a small screen)
  // the smallest cells, the grids scrolling in their boxes.
  const cell = fits() ? search(fits) : MIN;
  root.style.setProperty("--fit-cell", cell + "px");
  // "This step" may still scroll (many channels): then it takes the focus,
  // so a keyboard can scroll it too.
  const det = stage.querySelector(".conv-detail");
  if (det) {
    if (det.scrollHeight > det.clientHeight + 1) det.tabIndex = 0;
    else det.removeAttribute("tabindex");
  }
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
  // After an edit the stage is a new element: fit it again (not on every step).
  root.addEventListener("conv:change", () => { if (root.querySelector("#conv-stage") !== stage) again(); });
  root.querySelector("#conv-settings")?.addEventListener("toggle", soon);
  if (window.convlabVisualizer) again();
  else document.addEventListener("conv:ready", again, { once: true });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
