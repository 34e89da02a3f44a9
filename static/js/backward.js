// /conv/backward (issue 14): steps through the backward pass the server
// wrote out in "backward-data". Every number and sentence is the
// server's; this module only moves the highlight, fills the step's text
// in, and keeps bstep= in the URL.

import { readJSON } from "/static/js/i18n.js";
import { mount as mountStepper } from "/static/js/stepper.js";

export function mount(root, data) {
  const $ = (id) => root.querySelector(`#${id}`);
  const steps = data.steps;
  const msg = (k) => data.messages?.[k] ?? k;
  let shown = data.step;
  let stepper = null;

  function show(n, source) {
    const st = steps[n - 1];
    if (!st) return;
    root.querySelectorAll(".bhl").forEach((el) => el.classList.remove("bhl"));
    for (const [g, y, x] of st.hl) {
      root.querySelector(`td[data-g="${g}"][data-y="${y}"][data-x="${x}"]`)?.classList.add("bhl");
    }
    root.querySelectorAll("td[data-k]").forEach((td) => {
      const k = Number(td.dataset.k);
      td.classList.toggle("pending", k >= n);
      td.classList.toggle("current", k === n - 1);
    });
    $("bw-where").textContent = st.where;
    $("bw-eq").textContent = st.eq;
    $("bw-sum").textContent = st.sum;
    $("bw-step-index").textContent = st.i;
    // While playing, only the sum is announced; a step by hand says it all.
    $("bw-narr").textContent = source === "play" ? st.sum : st.narr;
    shown = n;
    stepper?.set(steps.length, n); // the scrubber and the back/next states follow
    const at = (k) => {
      const u = new URL(location.href);
      if (k > 1) u.searchParams.set("bstep", String(k));
      else u.searchParams.delete("bstep");
      return u;
    };
    history.replaceState(null, "", at(n));
    // The links work without the script too: keep them at the neighbours.
    $("conv-prev").href = at(Math.max(1, n - 1)).href;
    $("conv-next").href = at(Math.min(steps.length, n + 1)).href;
  }

  stepper = mountStepper(root, {
    count: steps.length,
    step: data.step,
    onStep: show,
    t: (k) => msg(k),
  });
  stepper.set(steps.length, data.step);
  root.dataset.ready = "1";
  return {
    get step() {
      return shown;
    },
    count: steps.length,
    go(n) {
      stepper.set(steps.length, n);
      show(stepper.step, "user");
    },
  };
}

const root = document.getElementById("backward");
const data = readJSON("backward-data");
if (root && data) {
  window.convlabBackward = mount(root, data);
}
