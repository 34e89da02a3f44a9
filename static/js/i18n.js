// Messages for scripts. A page passes its catalogue slice with
// templ.JSONScript("<id>", i18n.Messages(lang, "conv.")); a widget reads it:
//
//   import { messages } from "/static/js/i18n.js";
//   const t = messages("conv-messages");
//   t("conv.step", 3, 9); // fills {0}, {1}
//   t("class.leading", 1); // a plural message: its [one] form in English
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

// format fills {0}, {1}, ... in one pass (an argument is never read again).
export function format(text, args) {
  return text.replace(/\{(\d+)\}/g, (m, i) => (i < args.length ? String(args[i]) : m));
}

// text is the message key of m: a plain one, or, for a plural message
// (key[one], key[other] in the catalogue), the form the page's language
// uses for args[0] (Intl.PluralRules, CLDR's rules, as the server's).
export function text(m, key, args) {
  if (Object.hasOwn(m, key)) return m[key];
  if (Object.hasOwn(m, key + "[other]")) {
    let form = "other";
    try {
      form = new Intl.PluralRules(document.documentElement.lang || "en").select(Number(args[0]));
    } catch { /* an old browser: "other" */ }
    return Object.hasOwn(m, `${key}[${form}]`) ? m[`${key}[${form}]`] : m[key + "[other]"];
  }
  return key;
}

export function messages(id) {
  const m = readJSON(id) || {};
  return (key, ...args) => format(text(m, key, args), args);
}
