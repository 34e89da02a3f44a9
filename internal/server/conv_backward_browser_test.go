package server

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/backward"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestBackwardModeLesson: the backward mode on the lesson's 5×5 example
// steps through dW and then dX with the Next button, and every sum it
// shows is the gradient of the engine's Backward for the page's dY.
func TestBackwardModeLesson(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	const query = "preset=lesson-5x5&grad=random&seed=3"
	q, _ := url.ParseQuery(query)
	l, err := backwardLayer(q)
	if err != nil {
		t.Fatal(err)
	}
	g := l.g
	dy, err := backward.Gradient(g, backward.GradRandom, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	dx, dw := make([]float32, g.XLen(1)), make([]float32, g.WeightLen())
	conv.BackwardNaive(g, dx, dw, nil, dy, l.x, l.w, 1)

	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/conv/backward?"+query))
	for _, phase := range []struct {
		name string
		want []float32
	}{{"dw", dw}, {"dx", dx}} {
		if phase.name != "dw" {
			b.Run(t, chromedp.Click(`[data-testid="bw-phase-`+phase.name+`"]`))
		}
		b.Wait(t, `document.getElementById("backward").dataset.ready === "1" && document.getElementById("backward").dataset.phase === "`+phase.name+`"`)
		for i, want := range phase.want {
			if i > 0 {
				b.Run(t, chromedp.Click(`[data-testid="bw-next"]`))
			}
			b.Wait(t, `document.getElementById("bw-step-index").textContent === "`+strconv.Itoa(i+1)+` / `+strconv.Itoa(len(phase.want))+`"`)
			sum := browsertest.Eval[string](t, b, `document.getElementById("bw-sum").textContent`)
			cur := browsertest.Eval[string](t, b, `document.querySelector("td.out.current").textContent`)
			narr := browsertest.Eval[string](t, b, `document.getElementById("bw-narr").textContent`)
			if sum != fmtBW(want) || cur != sum || (i > 0 && narr == "") {
				t.Fatalf("%s step %d: shows Σ %s (cell %s, narration %q), Backward gives %s", phase.name, i+1, sum, cur, narr, fmtBW(want))
			}
			if n := browsertest.Eval[int](t, b, `document.querySelectorAll("td.bhl").length`); n == 0 {
				t.Fatalf("%s step %d: nothing highlighted", phase.name, i+1)
			}
		}
		b.Screenshot(t, "backward-"+phase.name)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
