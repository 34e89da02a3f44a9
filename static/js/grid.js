// Editing the grids of numbers the server rendered as <table>s, from the
// mouse, touch or keyboard. No arithmetic happens here.
//
//   editable(t, {canEdit(td), commit(td, text), label(td)});
//
// Keyboard (a grid is one tab stop): arrows move the active cell, Enter
// or F2 (or typing a digit) edits it, Enter commits, Escape cancels.

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "cls") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || k === "id" || k === "title" || k === "tabindex" || k === "for" || k === "type")
        e.setAttribute(k, v === true ? "" : String(v));
      else e[k] = v;
    }
  }
  for (const k of kids) if (k !== null && k !== undefined && k !== false) e.append(k);
  return e;
}

// cellAt returns the td at row r, column c of a table (or null).
export function cellAt(t, r, c) {
  const tr = t.tBodies[0]?.rows[r];
  return tr ? tr.cells[c] || null : null;
}

// editable wires editing into a table. opts.canEdit(td) says whether a cell
// takes a value; opts.commit(td, text) applies it (return an error message
// to keep the editor open); opts.label(td) names the cell for screen readers.
export function editable(t, opts) {
  t.tabIndex = 0;
  t.classList.add("editable");
  t.setAttribute("aria-describedby", "conv-keys");
  let ar = -1, ac = -1; // active cell
  const rows = () => t.tBodies[0].rows.length;
  const cols = () => t.tBodies[0].rows[0]?.cells.length || 0;

  function setActive(r, c) {
    const old = cellAt(t, ar, ac);
    if (old) old.classList.remove("active");
    ar = Math.max(0, Math.min(rows() - 1, r));
    ac = Math.max(0, Math.min(cols() - 1, c));
    const td = cellAt(t, ar, ac);
    if (td) {
      td.classList.add("active");
      t.setAttribute("aria-label", (t.dataset.label || "") + ": " + (opts.label ? opts.label(td) : "") + " = " + td.textContent);
      opts.onActive?.(td);
    }
  }

  function open(td, initial) {
    if (!td || !opts.canEdit(td) || td.querySelector("input")) return;
    opts.onEdit?.();
    const old = td.textContent;
    const inp = el("input", { type: "text", cls: "cell-edit", "aria-label": opts.label ? opts.label(td) : "" });
    inp.autocomplete = "off";
    inp.value = initial ?? old;
    td.textContent = "";
    td.append(inp);
    td.classList.add("editing");
    inp.focus();
    if (initial === undefined) inp.select();
    let done = false;
    const close = (commit, fromBlur) => {
      if (done) return;
      if (commit && inp.value.trim() !== old) {
        const err = opts.commit(td, inp.value.trim());
        if (err) {
          inp.setCustomValidity(err);
          inp.reportValidity();
          inp.classList.add("invalid");
          return;
        }
      }
      done = true;
      td.classList.remove("editing");
      if (td.contains(inp)) td.textContent = old;
      if (!fromBlur) t.focus({ preventScroll: true });
    };
    inp.addEventListener("input", () => { inp.setCustomValidity(""); inp.classList.remove("invalid"); });
    inp.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); close(true); }
      else if (e.key === "Escape") { e.preventDefault(); close(false); }
    });
    inp.addEventListener("blur", () => close(inp.value.trim() !== old, true));
  }

  t.addEventListener("click", (e) => {
    const td = e.target.closest("td");
    if (!td || !t.contains(td) || e.target.tagName === "INPUT") return;
    const tr = td.parentElement;
    setActive(tr.sectionRowIndex, td.cellIndex);
    open(td);
  });
  t.addEventListener("focus", () => { if (ar < 0) setActive(0, 0); else setActive(ar, ac); });
  t.addEventListener("blur", () => { cellAt(t, ar, ac)?.classList.remove("active"); opts.onActive?.(null); });
  t.addEventListener("keydown", (e) => {
    if (e.target !== t) return;
    const k = e.key;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], Home: [0, -1e9], End: [0, 1e9] };
    if (moves[k]) {
      e.preventDefault();
      e.stopPropagation(); // inside a grid the arrows move the cell, not the step
      setActive(ar + moves[k][0], ac + moves[k][1]);
    } else if (k === "Enter" || k === "F2") {
      e.preventDefault();
      e.stopPropagation();
      open(cellAt(t, ar, ac));
    } else if (/^[-0-9.]$/.test(k) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      // Typing starts an edit: the editor opens empty and, focused during
      // this keydown, receives the character itself.
      e.stopPropagation();
      open(cellAt(t, ar, ac), "");
    }
  });
  return { setActive, get active() { return cellAt(t, ar, ac); } };
}
