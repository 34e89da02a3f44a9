package main

import (
	"math"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// ring is a closed ellipse through the canvas, as one stroke.
func ring(cx, cy, rx, ry float64, n int) [][2]float64 {
	pts := make([][2]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts = append(pts, [2]float64{cx + rx*math.Sin(a), cy - ry*math.Cos(a)})
	}
	return pts
}

// TestDrawPredictsStrokes draws digits with pointer events on /draw in
// headless Chromium; the shipped model must read them.
func TestDrawPredictsStrokes(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)

	for _, tc := range []struct {
		name    string
		want    string
		strokes [][][2]float64
	}{
		{"vertical line", "1", [][][2]float64{{{0.5, 0.15}, {0.5, 0.85}}}},
		{"ring", "0", [][][2]float64{ring(0.5, 0.5, 0.25, 0.35, 48)}},
		{"seven", "7", [][][2]float64{{{0.25, 0.2}, {0.75, 0.2}, {0.45, 0.85}}}},
	} {
		b.Run(t, chromedp.Click(`[data-testid="clear"]`))
		b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
		for _, s := range tc.strokes {
			if err := b.PointerStroke(`[data-testid="draw-canvas"]`, s); err != nil {
				t.Fatal(err)
			}
		}
		b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`)
		got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="prediction"]').textContent`)
		b.Screenshot(t, tc.name)
		if got != tc.want {
			bars := browsertest.Eval[string](t, b, `[...document.querySelectorAll("#draw-bars .bar-value")].map(e => e.textContent).join(" ")`)
			t.Errorf("%s: predicted %q, want %q (probabilities %s)", tc.name, got, tc.want, bars)
		}
		// The page shows what the network saw: the 28×28 input has ink,
		// and a stack of feature maps per conv layer.
		if ink := browsertest.Eval[float64](t, b, `(() => { const d = document.getElementById("draw-input").getContext("2d").getImageData(0, 0, 28, 28).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; })()`); ink <= 0 {
			t.Errorf("%s: the 28×28 input is blank", tc.name)
		}
		if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#draw-fmaps figure").length`); n < 2 {
			t.Errorf("%s: %d feature-map layers shown, want ≥ 2", tc.name, n)
		}
	}
	browsertest.Eval[bool](t, b, `(document.getElementById("draw-seen-h").scrollIntoView(), true)`)
	b.Screenshot(t, "seen")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
