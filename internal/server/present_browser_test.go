package server

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// projectorSizes are the screens a class projects on.
var projectorSizes = [][2]int64{{1024, 768}, {1280, 800}, {1920, 1080}}

// TestPresenterLayoutFits: with ?present=1 at 1024×768, 1280×800 and
// 1920×1080, the lesson presets show the input, the filter, the output
// and the current step's products and sum without scrolling (for the
// 28×28 MNIST digit: the current window, its output cell and the
// products), at the first step and at a later one.
func TestPresenterLayoutFits(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	cases := []struct {
		preset string
		steps  []int
		whole  bool // the whole input and output grids (false: the window and the current output cell)
	}{
		{"lesson-4x4", []int{1, 4}, true},
		{"lesson-5x5", []int{1, 9}, true},
		{"lesson-mnist", []int{1, 340, 676}, false},
		{"stride", []int{1, 4}, true},
		{"zero-padding", []int{1, 25, 49}, true},
	}
	for _, size := range projectorSizes {
		b.Run(t, chromedp.EmulateViewport(size[0], size[1]))
		for _, tc := range cases {
			// One page load per size and preset; the later steps through the
			// visualizer's API (as the stepper does).
			b.Run(t, chromedp.Navigate(fmt.Sprintf("%s/conv?preset=%s&step=%d&present=1&lang=en", srv.URL, tc.preset, tc.steps[0])))
			b.Wait(t, `window.convlabVisualizer && document.querySelector("#conv.fitted")`)
			for _, step := range tc.steps {
				name := fmt.Sprintf("%dx%d %s step %d", size[0], size[1], tc.preset, step)
				b.Wait(t, fmt.Sprintf(`window.convlabVisualizer.setState({step: %d}).then(() => true)`, step))
				// Let a smooth scroll of the grid (reveal) settle.
				b.Wait(t, `new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 400)))`)
				parts := map[string]string{
					"sum":      `[data-testid="current-sum"]`,
					"products": `#conv-detail .term-groups`,
					"filter":   `#conv-k-0`,
				}
				if tc.whole {
					parts["input"] = `#conv-in-0`
					parts["output"] = `#conv-out-grids table`
				} else {
					parts["window"] = `#conv-in-0 td.win`
					parts["output cell"] = `#conv-out-grids td.current`
				}
				for part, sel := range parts {
					out := browsertest.Eval[string](t, b, `(() => {
						const els = [...document.querySelectorAll(`+jsString(sel)+`)];
						if (!els.length) return "missing";
						for (const e of els) {
							const r = e.getBoundingClientRect();
							if (r.width === 0) return "not shown";
							if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5)
								return "outside: " + [r.left, r.top, r.right, r.bottom].map(Math.round).join(",") + " in " + innerWidth + "x" + innerHeight;
							// Inside a scroll box, it must be inside the box too.
							const box = e.closest(".grid-wrap");
							if (box) {
								const b = box.getBoundingClientRect();
								if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5 || r.left < b.left - 0.5 || r.right > b.right + 0.5) return "scrolled out of its box";
							}
						}
						return "";
					})()`)
					if out != "" {
						t.Errorf("%s: the %s is %s", name, part, out)
					}
				}
				if step == tc.steps[0] {
					b.Screenshot(t, fmt.Sprintf("present-%dx%d-%s", size[0], size[1], tc.preset))
				}
			}
		}
	}
}
