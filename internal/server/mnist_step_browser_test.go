package server

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestMNISTStepping: the 28×28 digit's 676 steps. "To the end" (and the
// End key) jumps to the last step; the output picture fills as the steps
// go; the window stays inside its scroll box wherever it is; the speeds
// go well past the old 5× (150 ms a step: 102 s for the digit).
func TestMNISTStepping(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.EmulateViewport(1280, 800))
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=lesson-mnist&lang=en"))
	b.Wait(t, `window.convlabVisualizer && document.querySelector("#conv.js")`)

	filled := func() int {
		return browsertest.Eval[int](t, b, `(() => {
			const pending = JSON.parse(document.getElementById("conv-data").textContent).pending;
			return [...document.querySelectorAll("#conv-img-out-0 rect")].filter(r => r.getAttribute("fill") !== pending).length;
		})()`)
	}
	if n := filled(); n != 1 {
		t.Errorf("at step 1 the output picture has %d cells filled, want 1", n)
	}
	windowInBox := func(where string) {
		t.Helper()
		b.Wait(t, `new Promise(r => setTimeout(() => r(true), 600))`) // a smooth scroll settles
		ok := browsertest.Eval[bool](t, b, `[...document.querySelectorAll("#conv-in-0 td.win")].every(td => {
			const box = td.closest(".grid-wrap").getBoundingClientRect(), r = td.getBoundingClientRect();
			return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.left >= box.left - 1 && r.right <= box.right + 1;
		})`)
		if !ok {
			t.Errorf("%s: the window is scrolled out of the input's box", where)
		}
	}
	// Stepping to the middle with the scrubber's API: half the picture.
	browsertest.Eval[any](t, b, `window.convlabVisualizer.setState({step: 340}).then(() => true)`)
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "340 / 676"`)
	if n := filled(); n != 340 {
		t.Errorf("at step 340 the output picture has %d cells filled, want 340", n)
	}
	windowInBox("step 340")

	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="step-end"]`)))
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "676 / 676"`)
	if n := filled(); n != 676 {
		t.Errorf("at the end the output picture has %d cells filled, want 676", n)
	}
	windowInBox("the last step")
	if !browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="step-end"]').disabled`) {
		t.Error(`"To the end" stays on at the end`)
	}
	b.Run(t, chromedp.KeyEvent(kb.Home))
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "1 / 676"`)
	b.Run(t, chromedp.KeyEvent(kb.End))
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "676 / 676"`)

	// The fastest speed plays the digit in seconds: at most 10 ms a step.
	fastest := browsertest.Eval[int](t, b, `Math.min(...[...document.querySelectorAll("#conv-speed option")].map(o => Number(o.value)))`)
	if fastest > 10 {
		t.Errorf("the fastest speed is %d ms a step (%s s for 676 steps)", fastest, strconv.FormatFloat(float64(fastest)*676/1000, 'f', 1, 64))
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console: %v", errs)
	}
}
