// The network explorer (/network): draws every layer's maps (bytes from
// the server, see maps.js), turns a click on a map cell, a logit, a
// probability or a link of the explanation into GET /network/cell (an HTML
// fragment rendered by the server) and keeps the page URL in step. No
// arithmetic here: the server explains, this only shows.
import { drawStack } from "/static/js/maps.js";
import { messages, readJSON } from "/static/js/i18n.js";
import { cellAt } from "/static/js/netlink.js";

export function mount(root) {
  const t = messages("network-messages");
  const data = readJSON("network-data") || { maps: [] };
  const panel = root.querySelector("#net-cell");
  const stacks = new Map();
  let seq = 0;

  for (const m of data.maps || []) {
    const el = root.querySelector(`[data-stack="${m.layer}"]`);
    if (!el) continue;
    drawStack(el, m, (i) => t("network.js.cell", m.layer, i));
    el.querySelectorAll("canvas").forEach((cv, i) => {
      cv.dataset.c = String(i);
      cv.title = t("network.js.cell", m.layer, i);
    });
    stacks.set(m.layer, { el, map: m });
    el.addEventListener("click", (ev) => {
      const cv = ev.target.closest("canvas");
      if (!cv) return;
      const { y, x } = cellAt(cv, ev, m.h, m.w);
      select(cellQuery(m.layer, Number(cv.dataset.c), y, x));
    });
  }

  // cellQuery is the page's state with one cell chosen.
  function cellQuery(layer, c, y, x) {
    const q = new URL(data.base, location.href).searchParams;
    q.set("layer", layer);
    q.set("c", String(c));
    q.set("y", String(y));
    q.set("x", String(x));
    return q;
  }

  function mark(q) {
    root.querySelectorAll(".net-marker").forEach((e) => e.remove());
    root.querySelectorAll("canvas.selected").forEach((e) => e.classList.remove("selected"));
    const s = stacks.get(q.get("layer"));
    if (!s) return;
    const cv = s.el.querySelectorAll("canvas")[Number(q.get("c"))];
    if (!cv) return;
    cv.classList.add("selected");
    const mk = document.createElement("span");
    mk.className = "net-marker";
    mk.setAttribute("aria-hidden", "true");
    const w = cv.clientWidth / s.map.w;
    const h = cv.clientHeight / s.map.h;
    mk.style.left = `${cv.offsetLeft + cv.clientLeft + Number(q.get("x")) * w}px`;
    mk.style.top = `${cv.offsetTop + cv.clientTop + Number(q.get("y")) * h}px`;
    mk.style.width = `${w}px`;
    mk.style.height = `${h}px`;
    s.el.appendChild(mk);
  }

  function heat() {
    const hd = readJSON("net-heat-data");
    const el = panel.querySelector("[data-heat]");
    if (hd && el) drawStack(el, hd, (i) => t("network.js.cell", "pool2", i));
  }

  function markLists(q) {
    root.querySelectorAll(".net-list a").forEach((a) => {
      const u = new URL(a.href, location.href).searchParams;
      const on = u.get("layer") === q.get("layer") && u.get("c") === q.get("c");
      a.classList.toggle("selected", on);
      if (on) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }

  async function select(q, push = true) {
    const my = ++seq;
    root.dataset.busy = "1";
    try {
      const res = await fetch(`/network/cell?${q}`, { headers: { Accept: "text/html" } });
      const html = await res.text();
      if (my !== seq) return;
      panel.innerHTML = html;
      if (push) history.pushState(null, "", `/network?${q}`);
      mark(q);
      markLists(q);
      heat();
    } catch {
      if (my === seq) panel.textContent = t("network.js.failed");
    } finally {
      if (my === seq) root.dataset.busy = "0";
    }
  }

  root.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[data-cell]");
    if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    select(new URL(a.href, location.href).searchParams);
  });
  window.addEventListener("popstate", () => {
    const q = new URLSearchParams(location.search);
    if (q.get("layer")) select(q, false);
  });
  window.addEventListener("resize", () => {
    const q = new URLSearchParams(location.search);
    if (q.get("layer")) mark(q);
  });

  const q = new URLSearchParams(location.search);
  if (q.get("layer")) mark(q);
  heat();
  root.dataset.busy = "0";
}

const root = document.getElementById("network");
if (root) mount(root);
