// Draw a digit (/draw): a canvas for mouse, touch and pen (Pointer
// Events), predictions while drawing (debounced) from POST /api/predict,
// a bar per digit, the 28×28 input the network sees and its feature maps.

import { messages } from "/static/js/i18n.js";
import { decodeBase64, drawStack, paint, quantizeUnsigned } from "/static/js/maps.js";
import { cellAt, networkURL, reluOf } from "/static/js/netlink.js";

// The drawing is sent at this resolution (the server crops, scales to
// 20×20 and centres it like MNIST).
export const SEND = 112;
const DEBOUNCE_MS = 150;

// strokeWidth is the pen's width for a canvas of side px: MNIST strokes
// are about a tenth of the digit's height.
export function strokeWidth(px) {
  return Math.max(4, Math.round(px / 12));
}

// grayValues turns RGBA pixels (white ink on black) into [0, 1] values,
// rounded to 3 decimals to keep the request small.
export function grayValues(rgba) {
  const out = new Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((rgba[i * 4] / 255) * 1000) / 1000;
  return out;
}

// argmax is the index of the largest value.
export function argmax(xs) {
  let k = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[k]) k = i;
  return k;
}

export function mount(root) {
  const t = messages("draw-messages");
  const $ = (id) => root.querySelector(`#${id}`);
  const canvas = $("draw-canvas");
  const ctx = canvas.getContext("2d");
  const errorEl = $("draw-error");
  const small = document.createElement("canvas");
  small.width = SEND;
  small.height = SEND;
  const sctx = small.getContext("2d", { willReadFrequently: true });
  let inked = false;
  let timer = 0;
  let seq = 0; // answers to older requests are dropped
  let last = null; // last pen position, per pointer
  const pen = { x: canvas.width / 2, y: canvas.height / 2, down: false };
  // The pen's width: thin, medium (MNIST's strokes) or thick.
  const penSel = $("draw-pen");
  const penWidth = () => strokeWidth(canvas.width) * (Number(penSel?.value) || 1);
  penSel?.addEventListener("change", () => { ctx.lineWidth = penWidth(); });
  let seen = null; // {px, model} of the last answer, for the links into /network

  function blank() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = penWidth();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  }

  function showError(msg) {
    errorEl.textContent = msg || "";
    errorEl.hidden = !msg;
  }

  function clearResult() {
    $("draw-prediction").textContent = "";
    $("draw-confidence").textContent = "";
    root.querySelectorAll("#draw-bars li").forEach((li) => {
      li.querySelector(".bar-fill").style.width = "0";
      li.querySelector(".bar-value").textContent = "–";
      li.classList.remove("top");
    });
    const input = $("draw-input");
    input.getContext("2d").clearRect(0, 0, input.width, input.height);
    $("draw-fmaps").replaceChildren();
    seen = null;
    $("draw-inside").hidden = true;
    showHonesty({});
  }

  // showHonesty shows what the server says about its answer: not sure
  // (the top two), a hint about the drawing, and the preprocessing steps
  // as pictures. Every number comes from the server.
  function showHonesty(data) {
    const top = Array.isArray(data.top) ? data.top : [];
    const unsure = data.sure === false && top.length === 2;
    const u = $("draw-unsure");
    u.hidden = !unsure;
    u.textContent = unsure ? t("draw.unsure", top[0].digit, (top[0].p * 100).toFixed(0), top[1].digit, (top[1].p * 100).toFixed(0)) : "";
    root.classList.toggle("is-unsure", unsure);
    root.querySelectorAll("#draw-bars li").forEach((li, i) => li.classList.toggle("second", unsure && i === top[1].digit));
    const h = $("draw-hint");
    h.hidden = !data.hint;
    h.textContent = data.hint ? t(`draw.hint.${data.hint}`) : "";
    const st = data.steps;
    const crop = $("draw-step-crop");
    const fit = $("draw-step-fit");
    if (!st) {
      for (const c of [crop, fit]) c.getContext("2d").clearRect(0, 0, c.width, c.height);
      for (const id of ["draw-step-crop-cap", "draw-step-fit-cap"]) $(id).textContent = "";
      $("draw-step-centre-cap").textContent = t("draw.input");
      return;
    }
    paint(crop, decodeBase64(st.crop.data), 0, st.crop.w, st.crop.h, false);
    paint(fit, decodeBase64(st.fit.data), 0, st.fit.w, st.fit.h, false);
    $("draw-step-crop-cap").textContent = t("draw.step.crop", st.box[2], st.box[3]);
    $("draw-step-fit-cap").textContent = t("draw.step.fit", st.fit.w, st.fit.h);
    $("draw-step-centre-cap").textContent = t("draw.step.centre", st.offset[0], st.offset[1]);
  }

  function clear() {
    blank();
    inked = false;
    seq++;
    clearTimeout(timer);
    root.dataset.busy = "0";
    clearResult();
    showError("");
  }

  function pos(ev) {
    const r = canvas.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) / r.width) * canvas.width, y: ((ev.clientY - r.top) / r.height) * canvas.height };
  }

  function line(a, b) {
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
    inked = true;
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    inked = true;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(predict, DEBOUNCE_MS);
  }

  function model() {
    const r = root.querySelector('input[name="model"]:checked');
    return r ? r.value : "shipped";
  }

  async function predict() {
    clearTimeout(timer);
    if (!inked) return;
    sctx.drawImage(canvas, 0, 0, SEND, SEND);
    const image = grayValues(sctx.getImageData(0, 0, SEND, SEND).data);
    const my = ++seq;
    root.dataset.busy = "1";
    try {
      const resp = await fetch("/api/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ preprocess: true, width: SEND, height: SEND, image, model: model() }),
      });
      const data = await resp.json().catch(() => ({}));
      if (my !== seq) return;
      if (!resp.ok) {
        showError(data.error || `${resp.status} ${resp.statusText}`);
      } else {
        showError("");
        show(data);
      }
    } catch {
      if (my === seq) showError(t("draw.err.network"));
    }
    // data-busy="0" once the latest request is answered (tests wait on it).
    if (my === seq) root.dataset.busy = "0";
  }

  function show(data) {
    const probs = data.probabilities || [];
    const d = Number.isInteger(data.digit) ? data.digit : argmax(probs);
    $("draw-prediction").textContent = String(d);
    $("draw-confidence").textContent = probs.length ? t("draw.confidence", (probs[d] * 100).toFixed(1)) : "";
    root.querySelectorAll("#draw-bars li").forEach((li, i) => {
      const p = probs[i] || 0;
      li.querySelector(".bar-fill").style.width = `${(p * 100).toFixed(1)}%`;
      li.querySelector(".bar-value").textContent = `${(p * 100).toFixed(1)}%`;
      li.classList.toggle("top", i === d);
    });
    if (Array.isArray(data.input) && data.input.length === 784) {
      const bytes = Uint8Array.from(data.input, (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
      paint($("draw-input"), bytes, 0, 28, 28, false);
    }
    if (Array.isArray(data.input) && data.input.length === 784) {
      seen = { px: data.input, model: data.model };
      $("draw-inside").href = networkURL({ ...seen, layer: "softmax", c: d });
      $("draw-inside").hidden = false;
    }
    const holder = $("draw-fmaps");
    const fms = Array.isArray(data.feature_maps) ? data.feature_maps : [];
    fms.forEach((fm, k) => {
      let fig = holder.children[k];
      if (!fig || fig.dataset.layer !== fm.layer) {
        fig = document.createElement("figure");
        fig.dataset.layer = fm.layer;
        const stack = document.createElement("div");
        stack.className = `map-stack map-${fm.layer}`;
        const cap = document.createElement("figcaption");
        cap.textContent = t("draw.layer_maps", fm.layer, fm.c, fm.h, fm.w);
        fig.append(stack, cap);
        if (holder.children[k]) holder.replaceChild(fig, holder.children[k]);
        else holder.appendChild(fig);
      }
      const bytes = typeof fm.data === "string" ? fm.data : quantizeUnsigned(fm.data, fm.c, fm.h, fm.w);
      drawStack(fig.firstChild, { ...fm, data: bytes }, (i) => `${fm.layer} ${i + 1}`);
    });
    while (holder.children.length > fms.length) holder.lastChild.remove();
    showHonesty(data);
  }

  // A feature map cell opens in the network explorer, on the same input.
  $("draw-fmaps").addEventListener("click", (ev) => {
    const cv = ev.target.closest("canvas");
    const fig = cv && cv.closest("figure");
    if (!cv || !fig || !seen) return;
    const c = Array.prototype.indexOf.call(cv.parentNode.children, cv);
    location.href = networkURL({ ...seen, layer: reluOf(fig.dataset.layer), c, ...cellAt(cv, ev, cv.height, cv.width) });
  });

  // Pointer Events: one code path for mouse, touch and pen.
  canvas.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0 && ev.pointerType === "mouse") return;
    ev.preventDefault();
    canvas.setPointerCapture(ev.pointerId);
    last = pos(ev);
    dot(last);
    schedule();
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!last || !canvas.hasPointerCapture(ev.pointerId)) return;
    const evs = typeof ev.getCoalescedEvents === "function" ? ev.getCoalescedEvents() : [];
    for (const e of evs.length ? evs : [ev]) {
      const p = pos(e);
      line(last, p);
      last = p;
    }
    schedule();
  });
  const end = (ev) => {
    if (!last) return;
    last = null;
    if (canvas.hasPointerCapture(ev.pointerId)) canvas.releasePointerCapture(ev.pointerId);
    predict();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  // Keyboard drawing: arrows move the pen, Space lowers/lifts it,
  // Delete or Backspace clears. A ring shows where the pen is.
  const cursor = $("draw-cursor");
  function showCursor() {
    cursor.hidden = false;
    cursor.style.left = `${(pen.x / canvas.width) * 100}%`;
    cursor.style.top = `${(pen.y / canvas.height) * 100}%`;
    cursor.classList.toggle("down", pen.down);
  }
  canvas.addEventListener("blur", () => {
    cursor.hidden = true;
  });
  canvas.addEventListener("keydown", (ev) => {
    queueMicrotask(showCursor);
    const step = ev.shiftKey ? 4 : 12;
    const moves = { ArrowUp: [0, -step], ArrowDown: [0, step], ArrowLeft: [-step, 0], ArrowRight: [step, 0] };
    if (moves[ev.key]) {
      ev.preventDefault();
      const from = { x: pen.x, y: pen.y };
      pen.x = Math.max(0, Math.min(canvas.width, pen.x + moves[ev.key][0]));
      pen.y = Math.max(0, Math.min(canvas.height, pen.y + moves[ev.key][1]));
      if (pen.down) {
        line(from, pen);
        schedule();
      }
    } else if (ev.key === " ") {
      ev.preventDefault();
      pen.down = !pen.down;
      if (pen.down) {
        dot(pen);
        schedule();
      }
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      ev.preventDefault();
      clear();
    }
  });

  $("draw-clear").addEventListener("click", clear);
  root.querySelectorAll('input[name="model"]').forEach((r) => r.addEventListener("change", predict));

  // The live model exists only once a training run has started: ask
  // now, and again whenever the reader comes back to this tab.
  function checkLive() {
    fetch("/api/train/state")
      .then((r) => r.json())
      .then((st) => {
        const live = $("draw-model-live");
        const none = st.state === "idle";
        live.disabled = none;
        live.parentElement.title = none ? t("draw.live_none") : "";
        if (none && live.checked) root.querySelector('input[name="model"][value="shipped"]').checked = true;
      })
      .catch(() => {});
  }
  checkLive();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") checkLive();
  });

  clear();
  root.dataset.ready = "1";
  return { clear, predict };
}

const root = document.getElementById("draw");
if (root) mount(root);
