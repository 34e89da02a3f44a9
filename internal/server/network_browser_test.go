package server

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestNetworkFromDraw: draw a digit on /draw, open "see inside", and check
// in real Chromium that the explorer shows the same probabilities as
// /draw, that a clicked conv2 cell's explanation adds up to the map's
// value (and shows the ReLU), and that a clicked pooled cell highlights
// the max it took.
func TestNetworkFromDraw(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw?lang=en"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)
	if err := b.PointerStroke(`[data-testid="draw-canvas"]`, [][2]float64{{0.25, 0.2}, {0.75, 0.2}, {0.45, 0.85}}); err != nil {
		t.Fatal(err)
	}
	b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && !document.querySelector('[data-testid="see-inside"]').hidden`)
	drawProbs := browsertest.Eval[[]string](t, b, `[...document.querySelectorAll("#draw-bars .bar-value")].map(e => e.textContent)`)
	drawDigit := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="prediction"]').textContent`)

	b.Run(t, chromedp.Click(`[data-testid="see-inside"]`))
	b.Wait(t, `document.getElementById("network") && document.getElementById("network").dataset.busy === "0"`)
	if s := browsertest.Eval[string](t, b, `location.search`); !strings.Contains(s, "px=") || !strings.Contains(s, "layer=softmax") {
		t.Fatalf("see inside went to %q", s)
	}
	netProbs := browsertest.Eval[[]string](t, b, `[...document.querySelectorAll('[data-testid="net-prob"]')].map(e => e.textContent)`)
	if strings.Join(netProbs, " ") != strings.Join(drawProbs, " ") {
		t.Errorf("probabilities on /network %q, on /draw %q", netProbs, drawProbs)
	}
	if got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-prediction"]').textContent`); got != drawDigit {
		t.Errorf("/network predicts %q, /draw %q", got, drawDigit)
	}
	// The softmax explanation of the predicted digit is open: its row's
	// probability is the list's.
	if kind := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-cell"]').dataset.kind`); kind != "softmax" {
		t.Fatalf("see inside opened a %q explanation, want softmax", kind)
	}
	b.Screenshot(t, "network-softmax")

	// A conv2 cell: channel 5, the middle of its 14×14 map.
	clickCell(t, b, `[data-stack="conv2"] canvas:nth-of-type(6)`, 14, 7, 7)
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && document.querySelector('[data-testid="net-cell"]').dataset.kind === "conv"`)
	title := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-cell"] h3 code').textContent`)
	if !strings.HasPrefix(title, "conv2[0, 5, 7, 7]") {
		t.Errorf("clicked conv2 channel 5 in the middle, got %q", title)
	}
	value := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-value"]').textContent`)
	total := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-total"]').textContent`)
	relu := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-relu"]').textContent`)
	if value != total || value == "" {
		t.Errorf("conv2 cell: the map's value %q, the explanation's total %q", value, total)
	}
	wantReLU := value
	if strings.HasPrefix(value, "-") {
		wantReLU = "0.0000"
	}
	if !strings.HasPrefix(strings.TrimSpace(relu), wantReLU) {
		t.Errorf("conv2 cell %s: ReLU shows %q, want %s", value, relu, wantReLU)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll(".net-partlist li").length`); n != 32 {
		t.Errorf("conv2 cell: %d channel sums, want 32", n)
	}
	if s := browsertest.Eval[string](t, b, `location.search`); !strings.Contains(s, "layer=conv2") || !strings.Contains(s, "c=5") {
		t.Errorf("the URL does not hold the cell: %q", s)
	}
	// Step to the next channel with the stepper.
	b.Run(t, chromedp.Click(`[data-testid="net-next"]`))
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && document.querySelector('[data-testid="net-step"]').textContent.startsWith("channel 2 ")`)
	b.Screenshot(t, "network-conv2")
	// Step to the next position of the map: same channel, next column.
	b.Run(t, chromedp.Click(`[data-testid="net-next-cell"]`))
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && document.querySelector('[data-testid="net-cell"] h3 code').textContent === "conv2[0, 5, 7, 8]"`)
	if s := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-step"]').textContent`); !strings.HasPrefix(s, "channel 2 ") {
		t.Errorf("after moving, the stepper shows %q, want channel 2 still", s)
	}

	// A pooled cell: the highlighted max is the pooled value.
	clickCell(t, b, `[data-stack="pool1"] canvas:nth-of-type(4)`, 14, 9, 5)
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && document.querySelector('[data-testid="net-cell"]').dataset.kind === "maxpool"`)
	pooled := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-value"]').textContent`)
	maxCell := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-pool-max"] a').textContent`)
	if pooled != maxCell || pooled == "" {
		t.Errorf("pool1 cell: pooled value %q, highlighted max %q", pooled, maxCell)
	}
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll('[data-testid="net-pool-max"]').length`); n != 1 {
		t.Errorf("%d cells highlighted as the max, want 1", n)
	}
	// Back goes to the conv2 cell.
	b.Run(t, chromedp.NavigateBack())
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && document.querySelector('[data-testid="net-cell"]').dataset.kind === "conv"`)
	// "Open in the visualizer" shows the same number on /conv: this
	// channel's partial sum at the same output cell.
	chanSum := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-chansum"]').textContent`)
	b.Run(t, chromedp.Click(`[data-testid="net-visualizer"]`))
	b.Wait(t, `location.pathname === "/conv" && document.readyState === "complete" && !!document.querySelector('[data-testid="current-sum"]')`)
	convSum := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="current-sum"]').textContent`)
	var cs, ns float64
	if _, err := fmt.Sscan(strings.TrimSpace(convSum), &cs); err != nil {
		t.Fatalf("/conv shows %q", convSum)
	}
	fmt.Sscan(chanSum, &ns)
	if math.Abs(cs-ns) > 0.0051 {
		t.Errorf("/network's channel sum %s, /conv's cell %s", chanSum, convSum)
	}
	b.Screenshot(t, "network-visualizer")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestNetworkPhoneWidth: at 390 px the page does not scroll sideways.
func TestNetworkPhoneWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.EmulateViewport(390, 844))
	b.Run(t, chromedp.Navigate(srv.URL+"/network?layer=conv2&c=5&y=7&x=7&lang=ko"))
	b.Wait(t, `document.getElementById("network").dataset.busy === "0"`)
	if w := browsertest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("at 390 px the page is %d px wide", w)
	}
	b.Screenshot(t, "network-phone")
}

// clickCell clicks the middle of cell (y, x) of the n×n map drawn on the
// canvas sel, with the mouse.
func clickCell(t *testing.T, b *browsertest.Browser, sel string, n, y, x int) {
	t.Helper()
	xy := browsertest.Eval[[]float64](t, b, fmt.Sprintf(`(() => {
		const cv = document.querySelector(%q);
		cv.scrollIntoView({block: "center", inline: "center"});
		const r = cv.getBoundingClientRect();
		return [r.left + cv.clientLeft + (%d + 0.5) / %d * cv.clientWidth, r.top + cv.clientTop + (%d + 0.5) / %d * cv.clientHeight];
	})()`, sel, x, n, y, n))
	b.Run(t, chromedp.MouseClickXY(xy[0], xy[1]))
}

// TestNetworkKeyboard: a stack of maps is one tab stop; arrows move over
// the cells, Page Down changes the map, Enter explains the cell.
func TestNetworkKeyboard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/network?lang=en"))
	b.Wait(t, `document.getElementById("network").dataset.busy === "0"`)
	keys := kb.ArrowRight + kb.ArrowRight + kb.ArrowDown + kb.PageDown + kb.PageDown + kb.Enter
	b.Run(t, chromedp.Focus(`[data-stack="pool1"]`), chromedp.KeyEvent(keys))
	b.Wait(t, `document.getElementById("network").dataset.busy === "0" && !!document.querySelector('[data-testid="net-cell"]')`)
	if got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="net-cell"] h3 code').textContent`); got != "pool1[0, 2, 1, 2]" {
		t.Errorf("keyboard explained %q, want pool1[0, 2, 1, 2]", got)
	}
	if s := browsertest.Eval[string](t, b, `document.getElementById("net-cursor-status").textContent`); !strings.Contains(s, "channel 2, row 1, column 2") {
		t.Errorf("the cursor is announced as %q", s)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
