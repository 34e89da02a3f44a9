// The live training page (/train): controls, charts, maps and the
// evaluation, all fed by the Server-Sent Events of /api/train/events.

import { messages } from "/static/js/i18n.js";
import { createChart } from "/static/js/chart.js";
import { decodeBase64, drawStack, paint, shade } from "/static/js/maps.js";
import { cellAt, networkURL, reluOf } from "/static/js/netlink.js";
import { mountFilterWatch } from "/static/js/filterwatch.js";

const pct = (v) => `${(v * 100).toFixed(1)}%`;

export function mount(root) {
  const t = messages("train-messages");
  const $ = (id) => root.querySelector(`#${id}`);
  const form = $("train-form");
  const startBtn = $("train-start");
  const pauseBtn = $("train-pause");
  const resetBtn = $("train-reset");
  const settings = ["train-net", "train-optimizer", "train-lr", "train-batch", "train-augment"].map($);
  const errorEl = $("train-error");
  const canControl = !startBtn.disabled;

  const loss = createChart($("chart-loss"), {
    series: [{ name: "loss", className: "line-loss" }],
    yMin: 0,
    yFormat: (v) => v.toFixed(1),
    xLabel: t("train.chart_x"),
    empty: t("train.chart_empty"),
  });
  const acc = createChart($("chart-acc"), {
    series: [
      { name: "train", className: "line-train" },
      { name: "test", className: "line-test", markers: true },
    ],
    yMin: 0,
    yMax: 1,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    xLabel: t("train.chart_x"),
    empty: t("train.chart_empty"),
  });

  const fw = mountFilterWatch($("filter-watch"), t, { canControl, step: () => control("step") });

  let run = -1;
  let lastMaps = null; // the latest maps event, for the links into /network

  // A filter or a feature map cell opens in the network explorer, on the
  // live model and the same test digit.
  function openCell(ev, layerOf) {
    const cv = ev.target.closest("canvas");
    if (!cv || !lastMaps || !Number.isInteger(lastMaps.index)) return;
    const c = Array.prototype.indexOf.call(cv.parentNode.children, cv);
    const at = layerOf === null ? { y: 14, x: 14 } : cellAt(cv, ev, cv.height, cv.width);
    const layer = layerOf === null ? "conv1" : reluOf(layerOf);
    location.href = networkURL({ model: "live", digit: lastMaps.index, layer, c, ...at });
  }
  $("train-filters").addEventListener("click", (ev) => openCell(ev, null));
  $("train-fmaps").addEventListener("click", (ev) => {
    const fig = ev.target.closest("figure");
    if (fig) openCell(ev, fig.dataset.layer);
  });
  let state = "idle";
  let lastState = null;

  function showError(msg) {
    errorEl.textContent = msg || "";
    errorEl.hidden = !msg;
  }

  function clearRun() {
    showError("");
    loss.clear();
    acc.clear();
    $("train-step").textContent = "0";
    for (const id of ["train-epoch", "train-loss", "train-train-acc", "train-test-acc", "train-ips", "train-eta"]) {
      $(id).textContent = id === "train-eta" ? "" : "–";
    }
    $("train-epoch-bar").value = 0;
    $("train-augmented-fig").hidden = true;
    $("train-eval-summary").textContent = t("train.no_eval");
    root.querySelectorAll("#train-confusion td").forEach((td) => {
      td.textContent = "";
      td.style.backgroundColor = "";
      td.style.color = "";
    });
    $("train-gallery").replaceChildren();
    $("train-filters").replaceChildren();
    $("train-fmaps").replaceChildren();
    fw.clear();
  }

  function applyState(st) {
    lastState = st;
    if (st.run !== run) {
      run = st.run;
      clearRun();
    }
    state = st.state;
    fw.setState(st.state);
    const key = st.state === "paused" && st.finished ? "train.state.finished" : `train.state.${st.state}`;
    $("train-state").textContent = t(key);
    root.dataset.state = st.state;
    $("train-download").hidden = st.state === "idle";
    if (st.config) {
      // Show the run's settings (unless someone is typing in the field).
      const set = (id, v) => {
        const f = $(id);
        if (f !== document.activeElement) f.value = v;
      };
      set("train-net", st.config.net);
      set("train-optimizer", st.config.optimizer);
      set("train-lr", st.config.lr);
      set("train-batch", st.config.batch_size);
      if ($("train-augment") !== document.activeElement) $("train-augment").checked = !!st.config.augment;
    }
    // A run that finished its epochs trains more, it does not "resume".
    startBtn.querySelector(".label").textContent =
      t(st.state === "paused" ? (st.finished ? "train.more" : "train.resume") : "train.start");
    if (canControl) {
      startBtn.disabled = st.state === "running";
      pauseBtn.disabled = st.state !== "running";
      resetBtn.disabled = st.state === "idle";
      // A run's settings are fixed until it is reset.
      for (const s of settings) s.disabled = st.state !== "idle";
    }
    if (st.error) showError(st.error);
  }

  function applyProgress(p) {
    if (p.run !== run) return;
    $("train-step").textContent = String(p.step);
    const epochs = lastState?.epochs;
    $("train-epoch").textContent = epochs ? t("train.epoch_of", p.epoch, epochs) : String(p.epoch);
    $("train-loss").textContent = p.diverged ? "NaN" : p.loss.toFixed(3);
    $("train-train-acc").textContent = pct(p.train_accuracy);
    $("train-ips").textContent = Math.round(p.images_per_second).toLocaleString();
    $("train-epoch-bar").value = p.epoch_progress;
    $("train-eta").textContent = p.state === "running" ? t("train.eta", Math.ceil(p.eta_seconds)) : "";
    if (p.diverged) return; // no number to plot; the state carries the error
    loss.add("loss", { step: p.step, y: p.loss });
    acc.add("train", { step: p.step, y: p.train_accuracy });
  }

  function applyEval(e) {
    if (e.run !== run) return;
    const correct = Math.round(e.test_accuracy * e.images);
    $("train-test-acc").textContent = pct(e.test_accuracy);
    $("train-eval-summary").textContent = t(
      e.full ? "train.eval_summary_full" : "train.eval_summary",
      e.step, correct, e.images, pct(e.test_accuracy),
    );
    acc.add("test", { step: e.step, y: e.test_accuracy });
    // Confusion matrix: shade by the share of the true digit's row.
    e.confusion.forEach((row, r) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      row.forEach((n, c) => {
        const td = root.querySelector(`#train-confusion td[data-r="${r}"][data-c="${c}"]`);
        if (!td) return;
        const sh = shade(n / total);
        td.textContent = String(n);
        td.style.backgroundColor = n ? sh.background : "";
        td.style.color = n ? sh.color : "";
        td.classList.toggle("diag", r === c);
      });
    });
    const gallery = $("train-gallery");
    gallery.replaceChildren();
    if (!e.misclassified.length) {
      const li = document.createElement("li");
      li.textContent = t("train.gallery_empty");
      gallery.appendChild(li);
    }
    for (const m of e.misclassified) {
      const li = document.createElement("li");
      const cv = document.createElement("canvas");
      cv.className = "pixelated";
      const text = t("train.gallery_item", m.label, m.pred);
      cv.setAttribute("role", "img");
      cv.setAttribute("aria-label", text);
      paint(cv, decodeBase64(m.image), 0, 28, 28, false);
      const cap = document.createElement("span");
      cap.textContent = `${m.label} → ${m.pred}`;
      cap.setAttribute("aria-hidden", "true");
      // Each mistake opens in the network explorer, on the live model.
      const a = document.createElement("a");
      a.href = networkURL({ model: "live", digit: m.index, layer: "softmax", c: m.pred });
      a.title = t("train.gallery_inside");
      a.append(cv, cap);
      li.append(a);
      gallery.appendChild(li);
    }
  }

  function applyMaps(mp) {
    if (mp.run !== run) return;
    lastMaps = mp;
    const digit = $("train-digit");
    paint(digit, decodeBase64(mp.digit.data), 0, mp.digit.w, mp.digit.h, false);
    digit.setAttribute("aria-label", t("train.digit_label", mp.label));
    $("train-digit-cap").textContent = t("train.digit_label", mp.label);
    drawStack($("train-filters"), mp.filters, (i) => t("train.filter_item", i + 1));
    const holder = $("train-fmaps");
    mp.feature_maps.forEach((fm, k) => {
      let fig = holder.children[k];
      if (!fig || fig.dataset.layer !== fm.layer) {
        fig = document.createElement("figure");
        fig.dataset.layer = fm.layer;
        const stack = document.createElement("div");
        stack.className = `map-stack map-${fm.layer}`;
        const cap = document.createElement("figcaption");
        cap.textContent = t("train.layer_maps", fm.layer, fm.c, fm.h, fm.w);
        fig.append(stack, cap);
        if (holder.children[k]) holder.replaceChild(fig, holder.children[k]);
        else holder.appendChild(fig);
      }
      drawStack(fig.firstChild, fm, (i) => `${fm.layer} ${i + 1}`);
    });
    while (holder.children.length > mp.feature_maps.length) holder.lastChild.remove();
    // With augment: a few training images as the network sees them.
    const aug = mp.augmented || [];
    $("train-augmented-fig").hidden = aug.length === 0;
    const ah = $("train-augmented");
    if (ah.children.length !== aug.length) {
      ah.replaceChildren(...aug.map(() => Object.assign(document.createElement("canvas"), { width: 28, height: 28, className: "map-cell pixelated" })));
    }
    aug.forEach((m, i) => paint(ah.children[i], decodeBase64(m.data), 0, m.w, m.h, false));
  }

  function applyHistory(h) {
    if (h.run !== run) {
      run = h.run;
      clearRun();
    }
    loss.set("loss", h.loss || []);
    acc.set("train", h.train_accuracy || []);
    acc.set("test", h.test_accuracy || []);
  }

  // Controls.
  async function control(action, body) {
    showError("");
    // The first start loads MNIST (a second or two): show it is working.
    root.setAttribute("aria-busy", "true");
    for (const b of [startBtn, pauseBtn, resetBtn]) b.disabled = true;
    try {
      const resp = await fetch(`/api/train/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: body ? JSON.stringify(body) : "",
        credentials: "same-origin",
      });
      const data = await resp.json().catch(() => ({}));
      if (resp.ok) {
        applyState(data);
      } else {
        showError(data.error || `${resp.status} ${resp.statusText}`);
      }
    } catch {
      showError(t("train.err.network"));
    } finally {
      root.removeAttribute("aria-busy");
      if (lastState) applyState({ ...lastState, error: "" });
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (state === "paused") {
      control("resume");
      return;
    }
    const lr = Number($("train-lr").value);
    const batch = Number($("train-batch").value);
    if (!(lr > 0 && lr <= 1)) {
      showError(t("train.err.lr"));
      return;
    }
    if (!Number.isInteger(batch) || batch < 1 || batch > 512) {
      showError(t("train.err.batch"));
      return;
    }
    control("start", { net: $("train-net").value, optimizer: $("train-optimizer").value, lr, batch_size: batch, augment: $("train-augment").checked });
  });
  pauseBtn.addEventListener("click", () => control("pause"));
  // Reset throws the run away (on the projector too): ask first.
  const resetDialog = $("train-reset-dialog");
  resetBtn.addEventListener("click", () => {
    if (!resetDialog?.showModal) { control("reset"); return; }
    resetDialog.returnValue = "";
    resetDialog.showModal();
  });
  resetDialog?.addEventListener("close", () => {
    if (resetDialog.returnValue === "reset") control("reset");
    else resetBtn.focus();
  });

  // The stream. EventSource reconnects by itself; a fresh connection
  // starts with the state and history, so nothing is lost.
  const note = document.createElement("p");
  note.className = "notice train-offline";
  note.setAttribute("role", "status");
  note.hidden = true;
  note.textContent = t("train.disconnected");
  $("train-status-h").after(note);

  const es = new EventSource("/api/train/events");
  const on = (name, fn) =>
    es.addEventListener(name, (ev) => {
      try {
        fn(JSON.parse(ev.data));
      } catch (err) {
        console.warn(`train: bad ${name} event`, err);
      }
    });
  on("state", applyState);
  on("history", applyHistory);
  on("progress", applyProgress);
  on("eval", applyEval);
  on("maps", applyMaps);
  on("filter", (f) => {
    if (f.run === run) fw.update(f);
  });
  es.addEventListener("open", () => {
    note.hidden = true;
  });
  es.addEventListener("error", () => {
    note.hidden = false;
  });
  window.addEventListener("pagehide", () => es.close());
  root.dataset.ready = "1";
  return { close: () => es.close() };
}

const root = document.getElementById("train");
if (root) mount(root);
