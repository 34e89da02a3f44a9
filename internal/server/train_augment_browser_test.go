package server

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestTrainAugmentSwitch: on /train the augment switch reaches the run,
// and the maps section then shows a few augmented training images; a run
// without it shows none.
func TestTrainAugmentSwitch(t *testing.T) {
	a, b := openTrainPage(t)
	if browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="train-augment"]').checked`) {
		t.Fatal("augment is on by default")
	}
	b.Run(t, chromedp.Click(`[data-testid="train-augment"]`), chromedp.Click(`[data-testid="train-start"]`))
	b.Wait(t, `!document.getElementById("train-augmented-fig").hidden && document.querySelectorAll('[data-testid="train-augmented"] canvas').length === 6`)
	if st := a.train.State(); !st.Config.Augment {
		t.Errorf("the run's config %+v: augment is off", st.Config)
	}
	inked := browsertest.Eval[int](t, b, `[...document.querySelectorAll('[data-testid="train-augmented"] canvas')].filter(c => { const d = c.getContext("2d").getImageData(0, 0, 28, 28).data; for (let i = 0; i < d.length; i += 4) if (d[i] > 0) return true; return false; }).length`)
	if inked != 6 {
		t.Errorf("%d of 6 augmented samples have ink", inked)
	}
	if browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="train-augment"]').disabled !== true`) {
		t.Error("the augment switch can change during a run")
	}
	browsertest.Eval[bool](t, b, `(document.getElementById("train-maps-h").scrollIntoView(), true)`)
	b.Screenshot(t, "augmented")

	// Reset, then a plain run: no samples.
	b.Run(t, chromedp.Click(`[data-testid="train-pause"]`))
	b.Wait(t, `document.getElementById("train").dataset.state === "paused"`)
	b.Run(t, chromedp.Click(`[data-testid="train-reset"]`))
	// Reset asks first (TestTrainResetAsksFirst).
	b.Wait(t, `document.querySelector('[data-testid="train-reset-dialog"]').open`)
	b.Run(t, chromedp.Click(`[data-testid="train-reset-confirm"]`))
	b.Wait(t, `document.getElementById("train").dataset.state === "idle" && document.getElementById("train-augmented-fig").hidden`)
	b.Run(t, chromedp.Click(`[data-testid="train-augment"]`), chromedp.Click(`[data-testid="train-start"]`))
	b.Wait(t, `Number(document.querySelector('[data-testid="train-step"]').textContent) > 5 && document.querySelectorAll("#train-filters canvas").length > 0`)
	if !browsertest.Eval[bool](t, b, `document.getElementById("train-augmented-fig").hidden`) || a.train.State().Config.Augment {
		t.Error("a run without augment shows augmented samples")
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
