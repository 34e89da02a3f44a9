package server

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestTrainFilterWatch: on /train the "watch one filter learn" view
// updates while training runs, freezes when paused, and "Step once" shows
// exactly the next step, whose weights before are the last step's weights
// after, and whose weights after are the live network's.
func TestTrainFilterWatch(t *testing.T) {
	a, b := openTrainPage(t)
	shown := func() int {
		s := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="fw-step"]').dataset.step || "0"`)
		n, _ := strconv.Atoi(s)
		return n
	}
	cells := func(name string) []string {
		return browsertest.Eval[[]string](t, b, `[...document.querySelectorAll('#fw-`+name+` td')].map((td) => td.dataset.v)`)
	}

	b.Run(t, chromedp.Click(`[data-testid="train-start"]`))
	b.Wait(t, `Number(document.querySelector('[data-testid="fw-step"]').dataset.step || 0) > 0`)
	s1 := shown()
	b.Wait(t, `Number(document.querySelector('[data-testid="fw-step"]').dataset.step || 0) > `+strconv.Itoa(s1))
	if n := len(cells("after")); n != 25 {
		t.Fatalf("%d weights shown, want the small net's 5×5", n)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll('#fw-filter option').length`); n != 8 {
		t.Fatalf("%d filters to choose from, want 8", n)
	}
	if d := browsertest.Eval[string](t, b, `document.getElementById("fw-detail").textContent`); d == "" {
		t.Fatal("no arithmetic shown for the chosen weight")
	}
	// Another filter: the tables follow the choice.
	browsertest.Eval[bool](t, b, `(document.getElementById("fw-filter").value = "3", true)`)
	browsertest.Eval[bool](t, b, `(document.getElementById("fw-filter").dispatchEvent(new Event("change")), true)`)

	b.Run(t, chromedp.Click(`[data-testid="train-pause"]`))
	b.Wait(t, `document.getElementById("train").dataset.state === "paused"`)
	time.Sleep(time.Second) // the last events of the run may still be on their way
	s2, after2 := shown(), cells("after")
	time.Sleep(1500 * time.Millisecond)
	if s3, after3 := shown(), cells("after"); s3 != s2 || !equalStrings(after2, after3) {
		t.Fatalf("paused, yet the filter view went from step %d to %d", s2, s3)
	}
	browsertest.Eval[bool](t, b, `(document.getElementById("fw-h").scrollIntoView(), true)`)
	b.Screenshot(t, "filterwatch-paused")

	b.Wait(t, `!document.querySelector('[data-testid="fw-step-btn"]').disabled`)
	b.Run(t, chromedp.Click(`[data-testid="fw-step-btn"]`))
	b.Wait(t, `Number(document.querySelector('[data-testid="fw-step"]').dataset.step || 0) === `+strconv.Itoa(s2+1))
	if before := cells("before"); !equalStrings(before, after2) {
		t.Fatalf("step %d starts from %v, step %d ended at %v", s2+1, before, s2, after2)
	}
	after := cells("after")
	b.Wait(t, `document.getElementById("train").dataset.state === "paused"`)
	// The live network's filter 3 holds the shown weights after the step.
	deadline := time.Now().Add(10 * time.Second)
	for {
		net := a.train.LiveNet()
		w := net.Filters().Data[3*25 : 4*25]
		same := true
		for k, s := range after {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil || float32(v) != w[k] {
				same = false
			}
		}
		if same {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live network's filter 3 is %v, the view shows %v", w, after)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := a.train.State(); st.State != "paused" {
		t.Errorf("after a single step the run is %q, want paused", st.State)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
