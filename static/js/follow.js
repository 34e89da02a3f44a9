// The classroom bar of the visualizer (/conv): lead the class, follow the
// teacher, and the keyboard-shortcut help (the "?" key).
//
// Leading: with "Lead the class" on, every change of the visualizer's
// state (configuration, values, step) is sent to POST /api/follow,
// debounced, only the latest one at a time; turning it off sends
// DELETE /api/follow (the followers are told). Following (/conv?follow=1):
// the states streamed by GET /api/follow/events (event "state",
// {seq, run, state, time, ended}) are applied with the visualizer's script API
// (window.convlabVisualizer.setState(state, {source: "follow", replace: true}));
// "Detach" stops, "Follow the teacher again" resumes.
//
// The visualizer (visualizer.js) is loaded first and sets
// window.convlabVisualizer; this module only talks to it through that API.

import { readJSON, format, text } from "./i18n.js";

const LEAD_KEY = "convlab-leading"; // sessionStorage: keep leading across page loads
const DEBOUNCE_MS = 120;

const $ = (id) => document.getElementById(id);

export function mount(root, data) {
  const M = data.messages || {};
  const t = (k, ...a) => format(text(M, k, a), a);
  const V = window.convlabVisualizer;
  mountShortcuts(root);
  const follow = data.follow && V ? mountFollow(V, t) : null;
  if (data.can_lead && V) mountLead(V, t, () => follow?.detach());
  if (data.can_lead) countFollowers(t);
}

// ---------- how many follow (the presenter's panel) ----------

const COUNT_MS = 4000;

// countFollowers keeps "N students are following" current while the page
// is visible (GET /api/follow/count every few seconds).
export function countFollowers(t) {
  const out = $("class-followers");
  if (!out) return;
  async function tick() {
    if (document.visibilityState === "visible") {
      try {
        const r = await fetch("/api/follow/count", { headers: { Accept: "application/json" } });
        if (r.ok) {
          const j = await r.json();
          const s = t("class.followers", j.followers ?? 0);
          if (out.textContent !== s) out.textContent = s;
        }
      } catch { /* offline for a moment: keep the last count */ }
    }
    setTimeout(tick, COUNT_MS);
  }
  setTimeout(tick, COUNT_MS);
}

// ---------- leading ----------

function mountLead(V, t, detachSelf) {
  const box = $("class-lead");
  const status = $("class-lead-status");
  if (!box) return;
  let on = false, timer = 0, inflight = false, queued = null;

  const say = (s) => { if (status.textContent !== s) status.textContent = s; };

  async function send(state) {
    if (inflight) { queued = state; return; }
    inflight = true;
    try {
      const r = await fetch("/api/follow", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ state }),
      });
      const j = await r.json().catch(() => ({}));
      if (r.status === 403) { setOn(false); say(t("class.lead_denied")); }
      else if (!r.ok) say(j.error || String(r.status));
      else if (on) say(t("class.leading", j.followers ?? 0));
    } catch (e) {
      say(t("class.lost"));
    } finally {
      inflight = false;
    }
    if (queued && on) { const q = queued; queued = null; send(q); }
  }
  function publishSoon(state) {
    clearTimeout(timer);
    timer = setTimeout(() => send(state), DEBOUNCE_MS);
  }
  function setOn(v) {
    on = v;
    box.checked = v;
    document.body.classList.toggle("leading", v);
    try { sessionStorage.setItem(LEAD_KEY, v ? "1" : ""); } catch { /* private mode */ }
    if (v) {
      detachSelf(); // a teacher does not follow anyone
      const s = V.getState();
      if (s && !V.getError()) send(s);
    } else {
      clearTimeout(timer);
      queued = null;
      say("");
      // Tell the followers (they keep the last state).
      fetch("/api/follow", { method: "DELETE", keepalive: true }).catch(() => {});
    }
  }
  box.addEventListener("change", () => setOn(box.checked));
  V.subscribe((state, info) => {
    if (on && !info.error && info.source !== "follow") publishSoon(state);
  });
  let again = false;
  try { again = sessionStorage.getItem(LEAD_KEY) === "1"; } catch { /* private mode */ }
  if (again) setOn(true);
}

// ---------- following ----------

function mountFollow(V, t) {
  const bar = $("class-follow");
  const status = $("class-status");
  const detachBtn = $("class-detach");
  const rejoin = $("class-rejoin");
  let es = null, seq = 0, run = 0, applying = false, pending = null, ended = false;

  const say = (s) => { if (status.textContent !== s) status.textContent = s; };

  async function apply(state) {
    if (applying) { pending = state; return; }
    applying = true;
    try {
      await V.setState(state, { source: "follow", replace: true });
    } catch (e) {
      console.error("follow:", e);
    }
    applying = false;
    if (pending && es) { const p = pending; pending = null; apply(p); return; }
    if (es) say(t(ended ? "class.ended" : "class.following"));
  }

  function start() {
    if (es) return;
    bar.hidden = false;
    document.body.classList.add("following");
    detachBtn.hidden = false;
    rejoin.hidden = true;
    say(t("class.waiting"));
    seq = 0;
    es = new EventSource("/api/follow/events");
    es.addEventListener("state", (e) => {
      let fs;
      try { fs = JSON.parse(e.data); } catch { return; }
      if (!fs || !fs.state) return;
      if (fs.run !== run) { run = fs.run; seq = 0; } // the server restarted: its count starts again
      if (fs.seq <= seq) return;
      const first = seq === 0;
      seq = fs.seq;
      // ended: the teacher stopped leading; the state is the last one shown.
      ended = !!fs.ended;
      if (ended && !first) { if (!applying) say(t("class.ended")); return; }
      apply(fs.state);
    });
    es.addEventListener("open", () => say(t(!seq ? "class.waiting" : ended ? "class.ended" : "class.following")));
    // EventSource reconnects by itself (retry: 3000 from the server).
    es.addEventListener("error", () => { if (es) say(t("class.lost")); });
  }

  function detach() {
    if (!es) return;
    es.close();
    es = null;
    pending = null;
    document.body.classList.remove("following");
    detachBtn.hidden = true;
    rejoin.hidden = false;
    say(t("class.detached"));
    // A reload should not follow again by surprise.
    const q = new URLSearchParams(location.search);
    q.delete("follow");
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    rejoin.focus();
  }

  detachBtn.addEventListener("click", detach);
  // A student who steps or edits on their own leaves the teacher's screen:
  // say so, rather than "Following the teacher" over a different step.
  V.subscribe((state, info) => {
    if (es && !applying && (info.source === "user" || info.source === "play")) {
      detach();
      say(t("class.stepped_away"));
    }
  });
  rejoin.addEventListener("click", (e) => {
    e.preventDefault();
    const q = new URLSearchParams(location.search);
    q.set("follow", "1");
    history.replaceState(null, "", location.pathname + "?" + q);
    start();
    detachBtn.focus();
  });
  start();
  return { detach, get following() { return es !== null; }, get seq() { return seq; } };
}

// ---------- keyboard help ----------

function typing(el) {
  if (!(el instanceof Element)) return false;
  if (el.isContentEditable || el.closest("table.editable")) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  return tag === "INPUT" && !["button", "checkbox", "radio", "submit", "reset", "range"].includes(el.type);
}

function mountShortcuts() {
  const d = $("class-shortcuts");
  if (!d) return;
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.key === "?") {
      e.preventDefault();
      d.open = !d.open;
      if (d.open) { d.scrollIntoView({ block: "nearest" }); d.querySelector("summary").focus(); }
    } else if (e.key === "Escape" && d.open) {
      d.open = false;
      d.querySelector("summary").focus();
    }
  });
}

function start() {
  const root = $("classroom");
  const data = readJSON("class-data");
  if (!root || !data) return;
  // visualizer.js is loaded first and has mounted by now; if not (it
  // failed, or loads later), wait for it.
  if (window.convlabVisualizer || !$("conv")) mount(root, data);
  else document.addEventListener("conv:ready", () => mount(root, data), { once: true });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
