package server

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// ring is a closed ellipse through the canvas, as one stroke.
func ring(cx, cy, rx, ry float64, n int) [][2]float64 {
	pts := make([][2]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts = append(pts, [2]float64{cx + rx*math.Sin(a), cy - ry*math.Cos(a)})
	}
	return pts
}

// TestDrawPredictsStrokes draws digits with pointer events on /draw in
// headless Chromium; the shipped model must read them.
func TestDrawPredictsStrokes(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)

	for _, tc := range []struct {
		name    string
		want    string
		strokes [][][2]float64
	}{
		{"vertical line", "1", [][][2]float64{{{0.5, 0.15}, {0.5, 0.85}}}},
		{"ring", "0", [][][2]float64{ring(0.5, 0.5, 0.25, 0.35, 48)}},
		{"seven", "7", [][][2]float64{{{0.25, 0.2}, {0.75, 0.2}, {0.45, 0.85}}}},
	} {
		b.Run(t, chromedp.Click(`[data-testid="clear"]`))
		b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
		for _, s := range tc.strokes {
			if err := b.PointerStroke(`[data-testid="draw-canvas"]`, s); err != nil {
				t.Fatal(err)
			}
		}
		b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`)
		got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="prediction"]').textContent`)
		b.Screenshot(t, tc.name)
		if got != tc.want {
			bars := browsertest.Eval[string](t, b, `[...document.querySelectorAll("#draw-bars .bar-value")].map(e => e.textContent).join(" ")`)
			t.Errorf("%s: predicted %q, want %q (probabilities %s)", tc.name, got, tc.want, bars)
		}
		// The page shows what the network saw: the 28×28 input has ink,
		// and a stack of feature maps per conv layer.
		if ink := browsertest.Eval[float64](t, b, `(() => { const d = document.getElementById("draw-input").getContext("2d").getImageData(0, 0, 28, 28).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; })()`); ink <= 0 {
			t.Errorf("%s: the 28×28 input is blank", tc.name)
		}
		if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#draw-fmaps figure").length`); n < 2 {
			t.Errorf("%s: %d feature-map layers shown, want ≥ 2", tc.name, n)
		}
	}
	browsertest.Eval[bool](t, b, `(document.getElementById("draw-seen-h").scrollIntoView(), true)`)
	b.Screenshot(t, "seen")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// strokeActions turns a stroke (fractions of the element's box r) into
// touch events (touch) or pen events (pen).
func strokeActions(r [4]float64, pts [][2]float64, kind string) []chromedp.Action[chromedp.Void] {
	var xy [][2]float64
	for i, p := range pts {
		x, y := r[0]+p[0]*r[2], r[1]+p[1]*r[3]
		if i > 0 {
			px, py := xy[len(xy)-1][0], xy[len(xy)-1][1]
			n := max(1, int(math.Hypot(x-px, y-py)/4))
			for k := 1; k < n; k++ {
				f := float64(k) / float64(n)
				xy = append(xy, [2]float64{px + (x-px)*f, py + (y-py)*f})
			}
		}
		xy = append(xy, [2]float64{x, y})
	}
	var acts []chromedp.Action[chromedp.Void]
	touch := func(typ input.DispatchTouchEventType, p *[2]float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			params := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
			if p != nil {
				params.TouchPoints = []*input.TouchPoint{{X: p[0], Y: p[1]}}
			}
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, params)
			return err
		})
	}
	pen := func(p *input.DispatchMouseEventParams) { p.PointerType = input.DispatchMouseEventPointerTypePen }
	pressed := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	for i := range xy {
		p := xy[i]
		switch {
		case kind == "touch" && i == 0:
			acts = append(acts, touch(input.DispatchTouchEventTypeTouchStart, &p))
		case kind == "touch":
			acts = append(acts, touch(input.DispatchTouchEventTypeTouchMove, &p))
		case i == 0:
			acts = append(acts, chromedp.MouseEvent(chromedp.MouseMoved, p[0], p[1], pen),
				chromedp.MouseEvent(chromedp.MousePressed, p[0], p[1], chromedp.ButtonLeft, chromedp.ClickCount(1), pen, pressed))
		default:
			acts = append(acts, chromedp.MouseEvent(chromedp.MouseMoved, p[0], p[1], chromedp.ButtonLeft, pen, pressed))
		}
	}
	last := xy[len(xy)-1]
	if kind == "touch" {
		acts = append(acts, touch(input.DispatchTouchEventTypeTouchEnd, nil))
	} else {
		acts = append(acts, chromedp.MouseEvent(chromedp.MouseReleased, last[0], last[1], chromedp.ButtonLeft, chromedp.ClickCount(1), pen))
	}
	return acts
}

// TestDrawWithTouchAndPen: a finger and a pen draw like the mouse does.
func TestDrawWithTouchAndPen(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)
	browsertest.Eval[bool](t, b, `(window.__types = [], document.getElementById("draw-canvas").addEventListener("pointerdown", (e) => window.__types.push(e.pointerType)), true)`)
	for _, tc := range []struct {
		kind, want string
		stroke     [][2]float64
	}{
		{"touch", "1", [][2]float64{{0.5, 0.15}, {0.5, 0.85}}},
		{"pen", "7", [][2]float64{{0.25, 0.2}, {0.75, 0.2}, {0.45, 0.85}}},
	} {
		b.Run(t, chromedp.Click(`[data-testid="clear"]`))
		box := browsertest.Eval[[]float64](t, b, `(() => { const el = document.getElementById("draw-canvas"); el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
		b.Run(t, strokeActions([4]float64{box[0], box[1], box[2], box[3]}, tc.stroke, tc.kind)...)
		b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`)
		if got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="prediction"]').textContent`); got != tc.want {
			t.Errorf("%s stroke: predicted %q, want %q", tc.kind, got, tc.want)
		}
	}
	if types := browsertest.Eval[[]string](t, b, `window.__types`); len(types) != 2 || types[0] != "touch" || types[1] != "pen" {
		t.Errorf("pointer types seen: %q, want touch then pen", types)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestDrawWithKeyboard: the pen also works from the keyboard (arrows
// move it, Space puts it down and lifts it).
func TestDrawWithKeyboard(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/draw"))
	b.Wait(t, `document.getElementById("draw").dataset.ready === "1"`)
	keys := strings.Repeat(kb.ArrowUp, 10) + " " + strings.Repeat(kb.ArrowDown, 20) + " "
	b.Run(t, chromedp.Focus(`[data-testid="draw-canvas"]`), chromedp.KeyEvent(keys))
	b.Wait(t, `document.getElementById("draw").dataset.busy === "0" && document.querySelector('[data-testid="prediction"]').textContent !== ""`)
	if got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="prediction"]').textContent`); got != "1" {
		t.Errorf("a vertical line drawn with the keyboard: predicted %q, want 1", got)
	}
	if hidden := browsertest.Eval[bool](t, b, `document.getElementById("draw-cursor").hidden`); hidden {
		t.Error("the keyboard pen's cursor is not shown")
	}
	b.Screenshot(t, "keyboard")
	b.Run(t, chromedp.KeyEvent(kb.Delete))
	b.Wait(t, `document.querySelector('[data-testid="prediction"]').textContent === ""`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
