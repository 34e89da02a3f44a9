package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestDrawIsHonest draws on /draw in headless Chromium: a tiny digit in a
// corner gets the "draw bigger" hint, a stroke off the edge "keep it
// inside", and the preprocessing steps are shown as pictures with the
// server's numbers.
func TestDrawIsHonest(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)
	const answered = `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`
	hint := func() (bool, string) {
		return browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="draw-hint"]').hidden`),
			browsertest.Eval[string](t, b, `document.querySelector('[data-testid="draw-hint"]').textContent`)
	}
	// ink sums the red channel of a canvas.
	ink := func(id string) float64 {
		return browsertest.Eval[float64](t, b, `(() => { const c = document.getElementById("`+id+`"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; })()`)
	}

	// A big "1" in the middle: no hint; three step pictures with ink.
	if err := b.PointerStroke(`[data-testid="draw-canvas"]`, [][2]float64{{0.5, 0.15}, {0.5, 0.85}}); err != nil {
		t.Fatal(err)
	}
	b.Wait(t, answered)
	if hidden, text := hint(); !hidden {
		t.Errorf("a big centred 1 got the hint %q", text)
	}
	for _, id := range []string{"draw-step-crop", "draw-step-fit", "draw-input"} {
		if ink(id) <= 0 {
			t.Errorf("step picture %s is blank", id)
		}
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll('[data-testid="draw-steps"] li canvas').length`); n != 3 {
		t.Errorf("%d step pictures, want 3", n)
	}
	caps := browsertest.Eval[string](t, b, `[...document.querySelectorAll('[data-testid="draw-steps"] figcaption')].map(e => e.textContent).join(" | ")`)
	if !strings.Contains(caps, "1. Crop") || !strings.Contains(caps, "2. Fit 20×20: ") || !strings.Contains(caps, "3. Centre by mass") {
		t.Errorf("step captions %q", caps)
	}
	b.Screenshot(t, "honest-steps")

	// A tiny "3" in the top-left corner: "draw bigger".
	b.Run(t, chromedp.Click(`[data-testid="clear"]`))
	b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
	if hidden, _ := hint(); !hidden {
		t.Error("clearing left the hint")
	}
	if err := b.PointerStroke(`[data-testid="draw-canvas"]`, [][2]float64{{0.06, 0.06}, {0.14, 0.06}, {0.1, 0.11}, {0.15, 0.15}, {0.06, 0.19}}); err != nil {
		t.Fatal(err)
	}
	b.Wait(t, answered)
	if hidden, text := hint(); hidden || !strings.Contains(text, "Draw bigger") {
		t.Errorf("tiny digit in a corner: hint hidden %v, %q; want \"Draw bigger\"", hidden, text)
	}
	b.Screenshot(t, "honest-small")

	// A "1" running off the bottom edge: "keep it inside".
	b.Run(t, chromedp.Click(`[data-testid="clear"]`))
	b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
	if err := b.PointerStroke(`[data-testid="draw-canvas"]`, [][2]float64{{0.5, 0.3}, {0.5, 0.999}}); err != nil {
		t.Fatal(err)
	}
	b.Wait(t, answered)
	if hidden, text := hint(); hidden || !strings.Contains(text, "Keep it inside") {
		t.Errorf("a stroke off the edge: hint hidden %v, %q; want \"Keep it inside\"", hidden, text)
	}

	// The not-sure message matches the bars: shown exactly when the top
	// probability is below the server's threshold, naming the top two.
	unsure := browsertest.Eval[bool](t, b, `!document.querySelector('[data-testid="draw-unsure"]').hidden`)
	top := browsertest.Eval[float64](t, b, `Math.max(...[...document.querySelectorAll("#draw-bars .bar-value")].map(e => parseFloat(e.textContent)))`)
	if unsure != (top < 100*SureAt) {
		t.Errorf("unsure shown %v with a top probability of %.1f%% (threshold %.0f%%)", unsure, top, 100*SureAt)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestDrawSaysNotSure: a scribble the model cannot read shows "Not sure"
// with the top two digits, in Korean too.
func TestDrawSaysNotSure(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw?lang=ko"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)
	// Find an ambiguous drawing: a few candidates, the first the model is
	// not sure of.
	for _, pts := range [][][2]float64{
		{{0.3, 0.3}, {0.7, 0.3}, {0.7, 0.7}, {0.3, 0.7}, {0.3, 0.45}, {0.6, 0.45}},
		{{0.3, 0.2}, {0.7, 0.8}, {0.3, 0.8}, {0.7, 0.2}},
		{{0.5, 0.2}, {0.3, 0.5}, {0.7, 0.5}, {0.5, 0.8}, {0.5, 0.2}},
		{{0.3, 0.5}, {0.7, 0.5}, {0.5, 0.2}, {0.5, 0.8}},
	} {
		b.Run(t, chromedp.Click(`[data-testid="clear"]`))
		b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
		if err := b.PointerStroke(`[data-testid="draw-canvas"]`, pts); err != nil {
			t.Fatal(err)
		}
		b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`)
		if browsertest.Eval[bool](t, b, `!document.querySelector('[data-testid="draw-unsure"]').hidden`) {
			text := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="draw-unsure"]').textContent`)
			second := browsertest.Eval[int](t, b, `document.querySelectorAll("#draw-bars li.second").length`)
			if !strings.HasPrefix(text, "확실하지 않아요") || second != 1 {
				t.Errorf("not sure: %q, %d second bars", text, second)
			}
			b.Screenshot(t, "honest-unsure")
			return
		}
	}
	t.Skip("the model was sure of every candidate scribble")
}
