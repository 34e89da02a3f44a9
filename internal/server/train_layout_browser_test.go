package server

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestTrainFormAndTiles (QA findings 8, 9): on a projector and on a phone
// the Augment checkbox sits on its label's line, a small box beside the
// word (not a large empty square above it), and the State tile's
// "Not started" stays on one line inside its tile, as tall as the others.
func TestTrainFormAndTiles(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, tc := range []struct {
		name string
		size func() chromedp.Action[chromedp.Void]
		path string
	}{
		{"projector", func() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(1280, 800) }, "/train?present=1&lang=en"},
		{"phone", emulatePhone, "/train?lang=en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.Run(t, tc.size(), chromedp.Navigate(srv.URL+tc.path))
			b.Wait(t, `document.readyState === "complete"`)
			box := browsertest.Eval[map[string]float64](t, b, `(() => {
				const cb = document.getElementById("train-augment").getBoundingClientRect();
				const l = document.querySelector("label.train-augment");
				const r = document.createRange(); r.selectNodeContents(l);
				const text = [...r.getClientRects()].filter(q => q.left >= cb.right - 1).pop() || r.getBoundingClientRect();
				return {cbH: cb.height, cbW: cb.width, cbMid: cb.top + cb.height / 2, textMid: text.top + text.height / 2, cbRight: cb.right, textLeft: text.left};
			})()`)
			if box["cbH"] > 32 || box["cbW"] > 32 {
				t.Errorf("the checkbox is %.0f×%.0f px, a text box's size", box["cbW"], box["cbH"])
			}
			if d := box["cbMid"] - box["textMid"]; d > 6 || d < -6 {
				t.Errorf("the checkbox is %.0f px off its label's line: %v", d, box)
			}
			if box["textLeft"] < box["cbRight"] {
				t.Errorf("the label's text does not follow the checkbox: %v", box)
			}
			tiles := browsertest.Eval[map[string]float64](t, b, `(() => {
				const dd = [...document.querySelectorAll(".train-stats dd")];
				const state = document.getElementById("train-state").closest("dd");
				const line = parseFloat(getComputedStyle(state).lineHeight) || state.getBoundingClientRect().height;
				return {state: state.getBoundingClientRect().height, step: document.getElementById("train-step").closest("dd").getBoundingClientRect().height,
					over: state.scrollWidth - state.clientWidth, lines: Math.round(document.getElementById("train-state").getBoundingClientRect().height / line)};
			})()`)
			if tiles["state"] > tiles["step"]+1 || tiles["lines"] > 1 {
				t.Errorf("the State tile wraps: %v", tiles)
			}
			if tiles["over"] > 0 {
				t.Errorf("the State tile's text overflows by %.0f px", tiles["over"])
			}
		})
	}
}
