// /lesson: keyboard next/back, and the classroom: the presenter leads
// (their stop is sent to POST /api/lesson/follow), students follow
// (/lesson?follow=1: GET /api/lesson/follow/events, event "state" {seq,
// run, stop}, takes them to /lesson/<stop>?follow=1).

import { readJSON, format, text } from "./i18n.js";
import { countFollowers } from "./follow.js";

const LEAD_KEY = "convlab-leading-lesson"; // sessionStorage: keep leading across stops
const $ = (id) => document.getElementById(id);

export function mount(root, data) {
  const M = data.messages || {};
  const t = (k, ...a) => format(text(M, k, a), a);
  mountKeys(root);
  if (data.follow) mountFollow(data, t);
  if (data.can_lead) {
    mountLead(data, t);
    countFollowers(t);
  }
}

// PageDown / PageUp (what presentation clickers send) move between stops;
// so do → / ← on a stop without the visualizer (with it, they step it).
// Not while a control has the keyboard.
function mountKeys() {
  const stage = !!document.getElementById("conv");
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.shiftKey) return;
    const el = e.target;
    if (el instanceof Element && (el.isContentEditable || el.closest("input, select, textarea, table.editable"))) return;
    const arrows = !stage;
    let link = null;
    if (e.key === "PageDown" || (arrows && e.key === "ArrowRight")) link = document.querySelector('.lesson-nav a[rel="next"]');
    else if (e.key === "PageUp" || (arrows && e.key === "ArrowLeft")) link = document.querySelector('.lesson-nav a[rel="prev"]');
    if (!link) return;
    e.preventDefault();
    location.href = link.href;
  });
}

function mountLead(data, t) {
  const box = $("lesson-lead");
  const status = $("lesson-lead-status");
  if (!box) return;
  const say = (s) => { if (status.textContent !== s) status.textContent = s; };
  let on = false, timer = 0;
  const V = () => window.convlabVisualizer;
  async function send() {
    if (!data.stop) { say(t("class.leading", 0)); return; } // the list of stops: nothing to show yet
    const step = V()?.getState()?.step || 0;
    try {
      const r = await fetch("/api/lesson/follow", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ stop: data.stop, step }),
      });
      const j = await r.json().catch(() => ({}));
      if (r.status === 403) { setOn(false); say(t("class.lead_denied")); }
      else if (!r.ok) say(j.error || String(r.status));
      else say(t("class.leading", j.followers ?? 0));
    } catch {
      say(t("class.lost"));
    }
  }
  function setOn(v) {
    on = v;
    box.checked = v;
    document.body.classList.toggle("leading", v);
    try { sessionStorage.setItem(LEAD_KEY, v ? "1" : ""); } catch { /* private mode */ }
    if (v) send();
    else say("");
  }
  box.addEventListener("change", () => setOn(box.checked));
  // The visualizer's steps at this stop go to the followers too (debounced).
  const watch = (api) => api.subscribe((state, info) => {
    if (on && (info.source === "user" || info.source === "play")) { clearTimeout(timer); timer = setTimeout(send, 120); }
  });
  if (V()) watch(V());
  else document.addEventListener("conv:ready", (e) => watch(e.detail), { once: true });
  let again = false;
  try { again = sessionStorage.getItem(LEAD_KEY) === "1"; } catch { /* private mode */ }
  if (again) setOn(true);
}

function mountFollow(data, t) {
  const bar = $("lesson-follow");
  const status = $("lesson-status");
  const detachBtn = $("lesson-detach");
  const rejoin = $("lesson-rejoin");
  const say = (s) => { if (status.textContent !== s) status.textContent = s; };
  let es = null, run = 0, seq = 0, following = false;

  function start() {
    bar.hidden = false;
    document.body.classList.add("following");
    detachBtn.hidden = false;
    rejoin.hidden = true;
    say(t("class.waiting"));
    es = new EventSource("/api/lesson/follow/events");
    es.addEventListener("state", (e) => {
      let pos;
      try { pos = JSON.parse(e.data); } catch { return; }
      if (!pos || !pos.stop) return;
      if (pos.run !== run) { run = pos.run; seq = 0; }
      if (pos.seq <= seq) return;
      seq = pos.seq;
      if (pos.stop !== data.stop) {
        es.close();
        es = null;
        location.replace(`/lesson/${pos.stop}?follow=1` + (pos.step ? `&step=${pos.step}` : ""));
        return;
      }
      const api = window.convlabVisualizer;
      if (pos.step && api && api.getState()?.step !== pos.step) {
        following = true;
        api.setState({ step: pos.step }, { source: "follow" }).finally(() => { following = false; });
      }
      say(t("class.following"));
    });
    es.addEventListener("error", () => { if (es) say(t("class.lost")); });
  }
  function detach() {
    if (es) { es.close(); es = null; }
    document.body.classList.remove("following");
    detachBtn.hidden = true;
    rejoin.hidden = false;
    say(t("class.detached"));
    const q = new URLSearchParams(location.search);
    q.delete("follow");
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    rejoin.focus();
  }
  detachBtn.addEventListener("click", detach);
  // A student who steps the visualizer alone leaves the teacher's screen.
  const watch = (api) => api.subscribe((state, info) => {
    if (es && !following && (info.source === "user" || info.source === "play")) {
      detach();
      say(t("class.stepped_away"));
    }
  });
  if (window.convlabVisualizer) watch(window.convlabVisualizer);
  else document.addEventListener("conv:ready", (e) => watch(e.detail), { once: true });
  rejoin.addEventListener("click", (e) => {
    e.preventDefault();
    const q = new URLSearchParams(location.search);
    q.set("follow", "1");
    history.replaceState(null, "", location.pathname + "?" + q);
    start();
  });
  start();
}

function boot() {
  const root = $("lesson");
  const data = readJSON("lesson-data");
  if (root && data) mount(root, data);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
