// The quiz (/quiz): checks an answer in place with POST /api/quiz/check
// and shows the verdict and the worked explanation (in the page's
// aria-live box). Without this script the form still works: it reloads
// the page with ?answer=, and the server shows the same feedback.

import { readJSON } from "./i18n.js";

export function mount(root, data) {
  const form = root.querySelector("#quiz-form");
  const box = root.querySelector("#quiz-feedback");
  const conv = root.querySelector("#quiz-conv");
  const btn = root.querySelector("#quiz-check");
  if (!form || !box) return;

  function show(cls, verdict, explanation) {
    const kids = [];
    if (verdict) {
      const p = document.createElement("p");
      p.className = "verdict";
      const b = document.createElement("strong");
      b.textContent = verdict;
      p.append(b);
      kids.push(p);
    }
    if (explanation) {
      const p = document.createElement("p");
      p.className = "explanation mono";
      p.textContent = explanation;
      kids.push(p);
    }
    box.className = "quiz-feedback notice " + cls;
    box.replaceChildren(...kids);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answer = String(new FormData(form).get("answer") ?? "").trim();
    btn.disabled = true;
    try {
      const r = await fetch("/api/quiz/check", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ kind: data.kind, seed: data.seed, answer }),
      });
      const j = await r.json().catch(() => ({}));
      if (!r.ok) {
        show("error", j.error || String(r.status), "");
      } else {
        show(j.correct ? "right" : "wrong", j.message, j.explanation);
        if (conv && j.conv_url) {
          const q = new URLSearchParams(location.search);
          const u = new URL(j.conv_url, location.href);
          if (q.get("present") === "1") u.searchParams.set("present", "1");
          conv.href = u.pathname + u.search;
          conv.classList.remove("hidden-msg");
        }
      }
    } catch (err) {
      show("error", data.messages?.["quiz.err.network"] || String(err), "");
    } finally {
      btn.disabled = false;
    }
  });
}

function start() {
  const root = document.getElementById("quiz");
  const data = readJSON("quiz-data");
  if (root && data) mount(root, data);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
