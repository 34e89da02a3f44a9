// Feature maps, filters and digits on <canvas>: pure functions that turn
// bytes into pixels, and small helpers that lay a stack of maps out as
// one canvas per channel.
//
// A map is {layer, c, h, w, signed, data} where data is c·h·w bytes
// (base64, or a Uint8Array): unsigned 0 = nothing .. 255 = the channel's
// maximum; signed 128 = zero, 0 / 255 = the largest negative / positive.

// decodeBase64 turns base64 text into bytes.
export function decodeBase64(s) {
  const bin = atob(s || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Colour-blind-safe ends of the diverging scale (Okabe–Ito blue, orange).
const NEG = [0, 114, 178];
const POS = [230, 159, 0];

// colorOf returns [r, g, b] for one byte: grey levels for unsigned maps
// (black = 0, white = max), blue–white–orange for signed ones.
export function colorOf(v, signed) {
  if (!signed) return [v, v, v];
  const t = (v - 128) / 127;
  const end = t < 0 ? NEG : POS;
  const a = Math.min(1, Math.abs(t));
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

// toRGBA converts h·w bytes (from offset) into RGBA pixels.
export function toRGBA(bytes, offset, w, h, signed) {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colorOf(bytes[offset + i], signed);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = 255;
  }
  return out;
}

// quantizeUnsigned turns float activations (c·h·w, ≥ 0) into bytes with
// each channel scaled to its own maximum, like the server does.
export function quantizeUnsigned(floats, c, h, w) {
  const out = new Uint8Array(c * h * w);
  const n = h * w;
  for (let ch = 0; ch < c; ch++) {
    let mx = 0;
    for (let i = 0; i < n; i++) mx = Math.max(mx, floats[ch * n + i] || 0);
    if (mx <= 0) continue;
    for (let i = 0; i < n; i++) {
      const v = (floats[ch * n + i] / mx) * 255;
      out[ch * n + i] = v > 0 ? Math.min(255, Math.round(v)) : 0;
    }
  }
  return out;
}

// paint draws h·w bytes from offset onto a canvas of that size.
export function paint(canvas, bytes, offset, w, h, signed) {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  img.data.set(toRGBA(bytes, offset, w, h, signed));
  ctx.putImageData(img, 0, 0);
}

// drawStack shows every channel of map in container, one canvas each,
// reusing the canvases already there. label(i) names channel i.
export function drawStack(container, map, label) {
  const bytes = typeof map.data === "string" ? decodeBase64(map.data) : map.data;
  const n = map.h * map.w;
  if (bytes.length < map.c * n) return;
  let canvases = container.querySelectorAll("canvas");
  if (canvases.length !== map.c) {
    container.replaceChildren();
    for (let i = 0; i < map.c; i++) {
      const cv = document.createElement("canvas");
      cv.className = "pixelated map-cell";
      cv.setAttribute("role", "img");
      cv.setAttribute("aria-label", label ? label(i) : `${map.layer} ${i + 1}`);
      container.appendChild(cv);
    }
    canvases = container.querySelectorAll("canvas");
  }
  canvases.forEach((cv, i) => paint(cv, bytes, i * n, map.w, map.h, !!map.signed));
}

// luminance is the WCAG relative luminance of [r, g, b].
export function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

// shade is a table cell's colours for a share f in [0, 1]: white to
// Okabe–Ito blue, with black or white text, whichever contrasts more
// (never below 4.5:1).
export function shade(f) {
  const a = f > 0 ? 0.08 + 0.92 * Math.min(1, f) : 0;
  const bg = NEG.map((c) => Math.round(255 + (c - 255) * a));
  const l = luminance(bg);
  const white = 1.05 / (l + 0.05);
  const black = (l + 0.05) / 0.05;
  return { background: `rgb(${bg.join(", ")})`, color: white > black ? "#fff" : "#000", contrast: Math.max(white, black) };
}
