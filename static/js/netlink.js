// Links into the network explorer (/network) from other pages (/draw,
// /train): the explorer's URL for a model, an input and a cell, and the
// cell of a map under a click.

// encodePx is the px parameter of a drawn 28×28 input: its 784 float32
// values (little-endian) in base64url, so /network sees exactly the
// numbers /draw sent to the network.
export function encodePx(values) {
  const f = Float32Array.from(values);
  const b = new Uint8Array(f.buffer);
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// networkURL is /network with the given state: {model, digit, px (784
// numbers), layer, c, y, x}; missing ones are left out.
export function networkURL(st) {
  const q = new URLSearchParams();
  if (st.model && st.model !== "shipped") q.set("model", st.model);
  if (Number.isInteger(st.digit)) q.set("digit", String(st.digit));
  if (st.px) q.set("px", encodePx(st.px));
  if (st.layer) {
    q.set("layer", st.layer);
    for (const k of ["c", "y", "x"]) if (Number.isInteger(st[k])) q.set(k, String(st[k]));
  }
  const s = q.toString();
  return s ? `/network?${s}` : "/network";
}

// cellAt is the cell {y, x} of an h×w map drawn on canvas under a pointer
// or mouse event.
export function cellAt(canvas, ev, h, w) {
  const r = canvas.getBoundingClientRect(); // the content box: inside the border
  const fx = (ev.clientX - r.left - canvas.clientLeft) / canvas.clientWidth;
  const fy = (ev.clientY - r.top - canvas.clientTop) / canvas.clientHeight;
  const x = Math.min(w - 1, Math.max(0, Math.floor(fx * w)));
  const y = Math.min(h - 1, Math.max(0, Math.floor(fy * h)));
  return { y, x };
}

// reluOf is the explorer's layer for a feature map named as /draw and
// /train name them ("conv1" after its ReLU → "relu1").
export function reluOf(layer) {
  return layer.replace(/^conv/, "relu");
}
