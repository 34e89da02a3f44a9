// "Watch one filter learn" on /train (issue 14): shows the `filter`
// events of /api/train/events. Every number comes from the server (the
// training loop's own record of the step); this module only picks a
// filter and a weight and writes the numbers into the tables.
//
//   const fw = mountFilterWatch(el, t, {canControl, step: () => fetch(...)});
//   fw.update(event); fw.setState(state); fw.clear();

const fmt = (v) => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? v.toPrecision(4).replace(/\.?0+$/, "") : v.toExponential(2);
};

export function mountFilterWatch(root, t, opts = {}) {
  const $ = (id) => root.querySelector(`#${id}`);
  const select = $("fw-filter");
  const stepBtn = $("fw-step-btn");
  const stepOut = $("fw-step");
  const names = ["before", "grad", "update", "after"];
  let last = null;
  let filter = 0;
  let cell = -1; // index inside the filter (row-major); -1: the centre
  let state = "idle";

  function fillSelect(c) {
    if (select.options.length === c) return;
    select.replaceChildren();
    for (let i = 0; i < c; i++) {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = t("train.filter_item", i + 1);
      select.appendChild(o);
    }
    filter = Math.min(filter, c - 1);
    select.value = String(filter);
  }

  // A table per quantity: column numbers on top, row numbers on the left.
  function ensureGrid(name, h, w) {
    const table = $(`fw-${name}`);
    const tb = table.tBodies[0];
    if (tb.rows.length === h && tb.rows[0].cells.length === w + 1) return tb;
    const head = table.tHead.rows[0];
    while (head.cells.length > 1) head.lastChild.remove();
    for (let x = 0; x < w; x++) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = String(x + 1);
      head.appendChild(th);
    }
    tb.replaceChildren();
    for (let y = 0; y < h; y++) {
      const tr = tb.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = String(y + 1);
      tr.appendChild(th);
      for (let x = 0; x < w; x++) {
        const td = tr.insertCell();
        td.dataset.k = String(y * w + x);
        td.tabIndex = -1;
      }
    }
    return tb;
  }

  function render() {
    const f = last;
    if (!f) return;
    const per = f.h * f.w;
    if (cell < 0 || cell >= per) cell = (f.h >> 1) * f.w + (f.w >> 1);
    const base = filter * per;
    stepOut.textContent = t("train.fw.step_no", f.step);
    stepOut.dataset.step = String(f.step);
    for (const name of names) {
      const tb = ensureGrid(name, f.h, f.w);
      const arr = f[name];
      for (let k = 0; k < per; k++) {
        const td = tb.rows[Math.floor(k / f.w)].cells[(k % f.w) + 1];
        const v = arr[base + k];
        td.textContent = fmt(v);
        td.dataset.v = String(v);
        td.classList.toggle("pos", v > 0);
        td.classList.toggle("neg", v < 0);
        td.classList.toggle("sel", k === cell);
        td.tabIndex = k === cell ? 0 : -1;
        td.setAttribute("aria-selected", k === cell ? "true" : "false");
      }
    }
    const bi = f.c * per + filter; // the biases follow the weights
    $("fw-bias").textContent = t("train.fw.bias", fmt(f.before[bi]), fmt(f.grad[bi]), fmt(f.update[bi]), fmt(f.after[bi]));
    const i = base + cell;
    const y = Math.floor(cell / f.w);
    const x = cell % f.w;
    let text;
    if (f.optimizer === "adam") {
      text = t("train.fw.adam", y + 1, x + 1, f.t, fmt(f.m_prev[i]), fmt(f.grad[i]), fmt(f.m[i]), fmt(f.v_prev[i]), fmt(f.v[i]),
        f.lr, fmt(f.step_size), fmt(f.denom[i]), fmt(f.update[i]), fmt(f.before[i]), fmt(f.after[i]), f.beta1, f.beta2);
    } else {
      text = t("train.fw.sgd", y + 1, x + 1, fmt(f.m_prev[i]), fmt(f.grad[i]), fmt(f.m[i]), f.lr, fmt(f.update[i]),
        fmt(f.before[i]), fmt(f.after[i]), f.momentum);
    }
    $("fw-detail").textContent = text;
  }

  select.addEventListener("change", () => {
    filter = Number(select.value) || 0;
    render();
  });
  // Choosing a weight: click a cell, or move with the arrow keys.
  root.addEventListener("click", (ev) => {
    const td = ev.target.closest("td[data-k]");
    if (!td || !root.contains(td)) return;
    cell = Number(td.dataset.k);
    render();
    td.closest("table").querySelector(`td[data-k="${cell}"]`)?.focus();
  });
  root.addEventListener("keydown", (ev) => {
    const td = ev.target.closest?.("td[data-k]");
    if (!td || !last) return;
    const w = last.w;
    const h = last.h;
    let y = Math.floor(cell / w);
    let x = cell % w;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    const mv = moves[ev.key];
    if (!mv) return;
    ev.preventDefault();
    y = Math.min(h - 1, Math.max(0, y + mv[0]));
    x = Math.min(w - 1, Math.max(0, x + mv[1]));
    cell = y * w + x;
    render();
    td.closest("table").querySelector(`td[data-k="${cell}"]`)?.focus();
  });

  function syncButton() {
    stepBtn.disabled = !opts.canControl || state !== "paused";
  }
  stepBtn.addEventListener("click", async () => {
    stepBtn.disabled = true;
    try {
      await opts.step?.();
    } finally {
      syncButton();
    }
  });
  syncButton();

  return {
    update(f) {
      last = f;
      fillSelect(f.c);
      render();
    },
    setState(st) {
      state = st;
      syncButton();
    },
    clear() {
      last = null;
      stepOut.textContent = t("train.fw.waiting");
      delete stepOut.dataset.step;
      for (const name of names) {
        const table = $(`fw-${name}`);
        table.tBodies[0].replaceChildren();
        while (table.tHead.rows[0].cells.length > 1) table.tHead.rows[0].lastChild.remove();
      }
      $("fw-bias").textContent = "";
      $("fw-detail").textContent = "";
    },
  };
}
