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
    const st = { el, map: m, cur: { c: 0, y: 0, x: 0 } };
    stacks.set(m.layer, st);
    // Keyboard: the stack is one tab stop; arrows move a cursor over the
    // cells, Page Up/Down change the channel, Enter explains the cell.
    el.tabIndex = 0;
    el.addEventListener("keydown", (ev) => {
      const k = st.cur;
      const moves = { ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1], ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0], PageUp: [-1, 0, 0], PageDown: [1, 0, 0] };
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(cellQuery(m.layer, k.c, k.y, k.x));
        return;
      }
      const mv = moves[ev.key];
      if (!mv) return;
      ev.preventDefault();
      k.c = Math.min(m.c - 1, Math.max(0, k.c + mv[0]));
      k.y = Math.min(m.h - 1, Math.max(0, k.y + mv[1]));
      k.x = Math.min(m.w - 1, Math.max(0, k.x + mv[2]));
      cursor(st);
    });
    el.addEventListener("focus", () => cursor(st));
    el.addEventListener("blur", () => root.querySelectorAll(".net-cursor").forEach((e) => e.remove()));
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

  // box places an outline over cell (y, x) of channel c of a stack.
  function box(s, c, y, x, cls) {
    const cv = s.el.querySelectorAll("canvas")[c];
    if (!cv) return null;
    const mk = document.createElement("span");
    mk.className = cls;
    mk.setAttribute("aria-hidden", "true");
    const w = cv.clientWidth / s.map.w;
    const h = cv.clientHeight / s.map.h;
    mk.style.left = `${cv.offsetLeft + cv.clientLeft + x * w}px`;
    mk.style.top = `${cv.offsetTop + cv.clientTop + y * h}px`;
    mk.style.width = `${w}px`;
    mk.style.height = `${h}px`;
    s.el.appendChild(mk);
    return cv;
  }

  function cursor(s) {
    root.querySelectorAll(".net-cursor").forEach((e) => e.remove());
    const k = s.cur;
    box(s, k.c, k.y, k.x, "net-cursor");
    const live = root.querySelector("#net-cursor-status");
    if (live) live.textContent = t("network.js.cursor", s.map.layer, k.c, k.y, k.x);
  }

  function mark(q) {
    root.querySelectorAll(".net-marker").forEach((e) => e.remove());
    root.querySelectorAll("canvas.selected").forEach((e) => e.classList.remove("selected"));
    const s = stacks.get(q.get("layer"));
    if (!s) return;
    const c = Number(q.get("c")), y = Number(q.get("y")), x = Number(q.get("x"));
    const cv = box(s, c, y, x, "net-marker");
    if (!cv) return;
    cv.classList.add("selected");
    s.cur = { c, y, x };
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
