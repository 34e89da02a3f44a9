// The stepper: back / play-pause / next / to-the-end buttons, a speed
// choice, a scrubber, and the keyboard (ArrowRight, ArrowLeft, Home, End,
// Space) when the focus
// is not in a text field or a grid. It only counts steps; the page draws
// them (onStep). prefers-reduced-motion: nothing plays by itself, and
// steps are drawn instantly (the CSS drops transitions).
//
//   const s = mount(rootEl, {count, step, onStep(n), t});
//   s.set(count, step); s.play(); s.pause(); s.playing

export const reducedMotion = () => window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

function typing(t) {
  if (!t || !(t instanceof Element)) return false;
  if (t.isContentEditable) return true;
  if (t.closest("table.editable")) return true; // a grid handles its own keys
  const tag = t.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") return !["button", "checkbox", "radio", "submit", "reset"].includes(t.type);
  return false;
}

export function mount(root, { count, step, onStep, onPause, t }) {
  const prev = root.querySelector("#conv-prev");
  const next = root.querySelector("#conv-next");
  const play = root.querySelector("#conv-play");
  const scrub = root.querySelector("#conv-scrubber");
  const speed = root.querySelector("#conv-speed");
  const end = root.querySelector("#conv-end"); // optional
  const st = { count, step, timer: 0 };

  function go(n, source = "user") {
    if (st.count < 1) return;
    n = Math.max(1, Math.min(st.count, n));
    if (n === st.step) return;
    st.step = n;
    onStep(n, source);
  }
  function tick() {
    if (st.step >= st.count) { pause(); return; }
    go(st.step + 1, "play");
  }
  function playLabel() {
    const on = st.timer !== 0;
    play.setAttribute("aria-pressed", on ? "true" : "false");
    play.querySelector(".play-icon").textContent = on ? "❚❚" : "▶";
    play.querySelector(".play-label").textContent = t(on ? "conv.pause" : "conv.play");
  }
  function playFn() {
    if (st.timer || st.count < 2) return;
    if (st.step >= st.count) go(1, "play");
    st.timer = setInterval(tick, Number(speed.value) || 800);
    playLabel();
  }
  function pause() {
    if (!st.timer) return;
    clearInterval(st.timer);
    st.timer = 0;
    playLabel();
    onPause?.();
  }
  const toggle = () => (st.timer ? pause() : playFn());

  prev.addEventListener("click", (e) => { e.preventDefault(); pause(); go(st.step - 1); });
  next.addEventListener("click", (e) => { e.preventDefault(); pause(); go(st.step + 1); });
  play.addEventListener("click", (e) => { e.preventDefault(); toggle(); });
  end?.addEventListener("click", (e) => { e.preventDefault(); pause(); go(st.count); });
  scrub.addEventListener("input", () => { pause(); go(Number(scrub.value)); });
  speed.addEventListener("change", () => { if (st.timer) { pause(); playFn(); } });
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.key === "ArrowRight") { e.preventDefault(); pause(); go(st.step + 1); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); pause(); go(st.step - 1); }
    else if (e.key === "End") { e.preventDefault(); pause(); go(st.count); }
    else if (e.key === "Home") { e.preventDefault(); pause(); go(1); }
    else if (e.key === " " || e.key === "Spacebar") {
      // Space on a focused button or link presses it; do not toggle twice.
      if (e.target instanceof Element && e.target.closest("button, a, summary")) return;
      e.preventDefault();
      toggle();
    }
  });

  return {
    get playing() { return st.timer !== 0; },
    get interval() { return Number(speed.value) || 800; },
    get step() { return st.step; },
    set(count, step) {
      st.count = count;
      st.step = Math.max(1, Math.min(count, step));
      scrub.max = String(Math.max(1, count));
      scrub.value = String(st.step);
      scrub.disabled = count < 2;
      prev.setAttribute("aria-disabled", st.step <= 1 ? "true" : "false");
      next.setAttribute("aria-disabled", st.step >= count ? "true" : "false");
      if (end) end.disabled = st.step >= count;
      play.disabled = count < 2;
      if (count < 1) pause();
    },
    play: playFn,
    pause,
  };
}
