package server

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestDrawPenWidth: the pen choice changes how much ink one stroke puts
// on the canvas (thin < medium < thick).
func TestDrawPenWidth(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw?lang=en"))
	b.Wait(t, `document.querySelector("#draw-pen") !== null && document.readyState === "complete"`)
	ink := func(width string) int {
		t.Helper()
		browsertest.Eval[bool](t, b, `(() => { const s = document.getElementById("draw-pen"); s.value = "`+width+`"; s.dispatchEvent(new Event("change", {bubbles: true})); document.getElementById("draw-clear").click(); return true })()`)
		if err := b.PointerStroke(`#draw-canvas`, [][2]float64{{0.2, 0.5}, {0.5, 0.5}, {0.8, 0.5}}); err != nil {
			t.Fatal(err)
		}
		return browsertest.Eval[int](t, b, `(() => { const c = document.getElementById("draw-canvas"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return n })()`)
	}
	thin, medium, thick := ink("0.6"), ink("1"), ink("1.6")
	if !(thin < medium && medium < thick) {
		t.Errorf("ink of one stroke: thin %d, medium %d, thick %d; want increasing", thin, medium, thick)
	}
}
