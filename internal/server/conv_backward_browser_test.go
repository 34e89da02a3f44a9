package server

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/backward"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestBackwardModeLesson: the backward mode on the lesson's 5×5 example
// steps through dW and then dX with the Next button, and every sum it
// shows is the gradient POST /api/conv answers for the page's dY.
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
	// The API's gradients for the same layer and dY.
	body, _ := json.Marshal(map[string]any{
		"input":       [][][]float32{rows(l.x, g.InH, g.InW)},
		"weight":      [][][][]float32{{rows(l.w, g.KernelSize[0], g.KernelSize[1])}},
		"grad_output": [][][]float32{rows(dy, g.OutH, g.OutW)},
	})
	resp, text := post(t, srv.URL+"/api/conv", "application/json", string(body))
	var api struct {
		GradInput  [][][]float32   `json:"grad_input"`
		GradWeight [][][][]float32 `json:"grad_weight"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(text), &api) != nil {
		t.Fatalf("/api/conv: %d %s", resp.StatusCode, text)
	}
	var dx, dw []float32
	for _, r := range api.GradInput[0] {
		dx = append(dx, r...)
	}
	for _, r := range api.GradWeight[0][0] {
		dw = append(dw, r...)
	}
	if len(dx) != g.XLen(1) || len(dw) != g.WeightLen() {
		t.Fatalf("/api/conv gradients of %d and %d values", len(dx), len(dw))
	}

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
			if v := browsertest.Eval[string](t, b, `document.getElementById("conv-scrubber").value`); v != strconv.Itoa(i+1) {
				t.Fatalf("%s step %d: the scrubber is at %s", phase.name, i+1, v)
			}
		}
		b.Screenshot(t, "backward-"+phase.name)
	}
	// From a real loss: the shipped network's conv1 filter 1 on the digit.
	b.Run(t, chromedp.Navigate(srv.URL+"/conv/backward?grad=loss&layer=1&filter=1&channel=1&label=7"))
	b.Wait(t, `document.getElementById("backward").dataset.ready === "1"`)
	if got := browsertest.Eval[string](t, b, `document.getElementById("bw-step-index").textContent`); got != "1 / 9" {
		t.Errorf("from a real loss: step %q, want 1 / 9 (one 3×3 filter)", got)
	}
	b.Screenshot(t, "backward-loss")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// rows views a flat h×w slice as rows.
func rows(v []float32, h, w int) [][]float32 {
	out := make([][]float32, h)
	for i := range out {
		out[i] = v[i*w : (i+1)*w]
	}
	return out
}
