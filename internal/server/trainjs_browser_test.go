package server

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestTrainDrawJSPureFunctions runs the pure functions of chart.js,
// maps.js and draw.js in Chromium (the modules the pages load).
func TestTrainDrawJSPureFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/train"))
	b.Run(t, chromedp.Evaluate[chromedp.Void](`Promise.all([import("/static/js/chart.js"), import("/static/js/maps.js"), import("/static/js/draw.js")])
	  .then(([c, m, d]) => {
	    const sx = c.linearScale(0, 10, 0, 100), sy = c.linearScale(0, 1, 100, 0);
	    window.__r = JSON.stringify({
	      ticks01: c.niceTicks(0, 1, 4),
	      ticks0_1234: c.niceTicks(0, 1234, 5),
	      ticksFlat: c.niceTicks(3, 3, 4),
	      path: c.pathData([{step: 0, y: 0}, {step: 10, y: 1}], sx, sy),
	      pathGap: c.pathData([{step: 0, y: 0}, {step: 5, y: NaN}, {step: 10, y: 1}], sx, sy),
	      zero: m.colorOf(128, true), pos: m.colorOf(255, true), neg: m.colorOf(0, true), gray: m.colorOf(77, false),
	      quant: Array.from(m.quantizeUnsigned([0, 1, 2, 4, 0, 0, 0, 0], 2, 2, 2)),
	      b64: Array.from(m.decodeBase64("AAEC/w==")),
	      rgba: Array.from(m.toRGBA(new Uint8Array([0, 255]), 0, 2, 1, false)),
	      gv: d.grayValues([255, 255, 255, 255, 0, 0, 0, 255, 128, 128, 128, 255]),
	      am: d.argmax([0.1, 0.7, 0.2]),
	      sw: d.strokeWidth(280),
	      minContrast: Math.min(...Array.from({length: 101}, (_, i) => m.shade(i / 100).contrast)),
	      shade0: m.shade(0), shade1: m.shade(1), shadeHalf: m.shade(0.5),
	    });
	  })`))
	b.Wait(t, `typeof window.__r === "string"`)
	raw := browsertest.Eval[string](t, b, `window.__r`)
	var got struct {
		Ticks01, Ticks0_1234, TicksFlat []float64
		Path, PathGap                   string
		Zero, Pos, Neg, Gray            []int
		Quant, B64, RGBA                []int
		GV                              []float64
		AM, SW                          int
		MinContrast                     float64
		Shade0, Shade1, ShadeHalf       struct{ Background, Color string }
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	check := func(name string, g, w any) {
		t.Helper()
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%s = %s, want %s", name, gb, wb)
		}
	}
	check("niceTicks(0, 1, 4)", got.Ticks01, []float64{0, 0.25, 0.5, 0.75, 1})
	check("niceTicks(0, 1234, 5)", got.Ticks0_1234, []float64{0, 250, 500, 750, 1000})
	check("niceTicks(3, 3, 4)", got.TicksFlat, []float64{3, 3.25, 3.5, 3.75, 4})
	check("pathData", got.Path, "M0.0 100.0L100.0 0.0")
	check("pathData with a NaN", got.PathGap, "M0.0 100.0M100.0 0.0")
	check("colorOf(128, signed)", got.Zero, []int{255, 255, 255})
	check("colorOf(255, signed)", got.Pos, []int{230, 159, 0})
	check("colorOf(0, signed)", got.Neg, []int{0, 114, 178})
	check("colorOf(77, unsigned)", got.Gray, []int{77, 77, 77})
	check("quantizeUnsigned", got.Quant, []int{0, 64, 128, 255, 0, 0, 0, 0})
	check("decodeBase64", got.B64, []int{0, 1, 2, 255})
	check("toRGBA", got.RGBA, []int{0, 0, 0, 255, 255, 255, 255, 255})
	check("grayValues", got.GV, []float64{1, 0, 0.502})
	check("argmax", got.AM, 1)
	check("strokeWidth(280)", got.SW, 23)
	check("shade(0)", got.Shade0, struct{ Background, Color string }{"rgb(255, 255, 255)", "#000"})
	check("shade(1)", got.Shade1, struct{ Background, Color string }{"rgb(0, 114, 178)", "#fff"})
	check("shade(0.5)", got.ShadeHalf, struct{ Background, Color string }{"rgb(117, 179, 213)", "#000"})
	if got.MinContrast < 4.5 {
		t.Errorf("a confusion-matrix cell's text contrast falls to %.2f, want ≥ 4.5", got.MinContrast)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// a11yProblems lists basic accessibility problems of the page: duplicate
// ids, form controls without a label, buttons without a name, images
// (canvas role=img) without a text alternative, tables without headers.
const a11yProblems = `(() => {
  const out = [];
  const ids = new Map();
  for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) out.push("duplicate id " + id);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = el.closest("label") || (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) out.push("unlabelled " + el.tagName + "#" + el.id);
  }
  for (const el of document.querySelectorAll("button")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) out.push("button without a name: " + el.id);
  }
  for (const el of document.querySelectorAll('[role="img"]')) {
    if (!el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) out.push("image without a text alternative: " + (el.id || el.className));
  }
  for (const el of document.querySelectorAll("table")) {
    if (!el.querySelector("th")) out.push("table without headers: " + el.id);
  }
  for (const el of document.querySelectorAll("progress, output[aria-live]")) {
    if (el.tagName === "PROGRESS" && !(el.id && document.querySelector('label[for="' + el.id + '"]'))) out.push("progress without a label");
  }
  return out;
})()`

// TestTrainDrawAccessibilityBasics checks /train and /draw (and the
// viewer's /train) for basic accessibility problems in the browser.
func TestTrainDrawAccessibilityBasics(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	cfg := defaultConfig()
	cfg.PresenterToken = "tok"
	_, srv := newTestServerConfig(t, cfg)
	b := browsertest.New(t)
	for _, path := range []string{"/train", "/draw", "/train?lang=ko", "/draw?lang=ko", "/?presenter=tok", "/train"} {
		b.Run(t, chromedp.Navigate(srv.URL+path))
		if path == "/?presenter=tok" {
			continue // sets the presenter cookie: the last /train is the presenter's
		}
		b.Wait(t, `document.querySelector("[data-ready='1']") !== null`)
		if probs := browsertest.Eval[[]string](t, b, a11yProblems); len(probs) > 0 {
			t.Errorf("%s: %q", path, probs)
		}
	}
	if d := browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="train-start"]').disabled`); d {
		t.Error("the presenter's start button is disabled")
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
