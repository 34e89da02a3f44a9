package server

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
	"github.com/convlab/convlab/mnist"
)

// needMNIST skips a test when the MNIST files are absent (CI has them).
func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := mnist.Locate("", os.Getenv); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("MNIST data not available: %v", err)
	}
}

// openTrainPage opens /train in a browser on a test server (a browser
// test: skipped under -short, and without MNIST) and waits until the page
// is ready and idle.
func openTrainPage(t *testing.T) (*app, *browsertest.Browser) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	needMNIST(t)
	a, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/train"))
	b.Wait(t, `document.getElementById("train").dataset.ready === "1" && document.getElementById("train").dataset.state === "idle"`)
	return a, b
}

// TestTrainPageStartsAndPauses: on /train, starting the small network
// makes the step counter and the charts advance; pause stops them.
func TestTrainPageStartsAndPauses(t *testing.T) {
	a, b := openTrainPage(t)
	if net := browsertest.Eval[string](t, b, `document.getElementById("train-net").value`); net != "small" {
		t.Fatalf("the preset selected by default is %q, want small", net)
	}
	step := func() int {
		s := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="train-step"]').textContent`)
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("train-step shows %q", s)
		}
		return n
	}
	points := func(id string) int {
		return browsertest.Eval[int](t, b, `Number(document.getElementById("`+id+`").dataset.points || 0)`)
	}

	b.Run(t, chromedp.Click(`[data-testid="train-start"]`))
	b.Wait(t, `Number(document.querySelector('[data-testid="train-step"]').textContent) > 0`)
	s1, l1 := step(), points("chart-loss")
	b.Wait(t, `Number(document.querySelector('[data-testid="train-step"]').textContent) > `+strconv.Itoa(s1+20))
	b.Wait(t, `Number(document.getElementById("chart-loss").dataset.points || 0) > `+strconv.Itoa(l1+3))
	// Within ~5 s of training the first evaluation fills the test curve,
	// the confusion matrix and the filters.
	b.Wait(t, `Number(document.getElementById("chart-acc").dataset.points || 0) > 0 && document.querySelector('#train-confusion td[data-r="0"][data-c="0"]').textContent !== ""`)
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#train-filters canvas").length`); n != 8 {
		t.Errorf("%d filters shown, want the small net's 8", n)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#train-fmaps figure").length`); n != 2 {
		t.Errorf("%d feature-map layers shown, want 2", n)
	}
	b.Screenshot(t, "running")
	for _, sec := range []string{"train-charts-h", "train-maps-h", "train-eval-h"} {
		browsertest.Eval[bool](t, b, `(document.getElementById("`+sec+`").scrollIntoView(), true)`)
		b.Screenshot(t, sec)
	}

	b.Run(t, chromedp.Click(`[data-testid="train-pause"]`))
	b.Wait(t, `document.getElementById("train").dataset.state === "paused"`)
	// The last progress event of the run may still be on its way.
	time.Sleep(time.Second)
	s2, l2 := step(), points("chart-loss")
	time.Sleep(1500 * time.Millisecond)
	if s3, l3 := step(), points("chart-loss"); s3 != s2 || l3 != l2 {
		t.Errorf("after pause the step went %d → %d and the loss chart %d → %d points", s2, s3, l2, l3)
	}
	if st := a.train.State(); st.State != "paused" {
		t.Errorf("server state %q, want paused", st.State)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
