// Messages for scripts. A page passes its catalogue slice with
// templ.JSONScript("<id>", i18n.Messages(lang, "conv.")); a widget reads it:
//
//   import { messages } from "/static/js/i18n.js";
//   const t = messages("conv-messages");
//   t("conv.step", 3, 9); // fills {0}, {1}
//
// A missing key shows itself (as the Go side does), never a blank.

export function readJSON(id) {
  const el = document.getElementById(id);
  if (!el) return null;
  try {
    return JSON.parse(el.textContent);
  } catch {
    return null;
  }
}

export function format(text, args) {
  return text.replace(/\{(\d+)\}/g, (m, i) => (i < args.length ? String(args[i]) : m));
}

export function messages(id) {
  const m = readJSON(id) || {};
  return (key, ...args) => format(Object.hasOwn(m, key) ? m[key] : key, args);
}
