package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const strokePage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>
<script type="module" src="/stroke.js"></script></head>
<body><canvas id="c" width="200" height="100"></canvas>
<p id="status">waiting</p></body></html>`

// stroke.js records the pointer events the canvas receives.
const strokeJS = `
const c = document.getElementById("c");
window.events = [];
for (const type of ["pointerdown", "pointermove", "pointerup"]) {
  c.addEventListener(type, (e) => {
    if (type === "pointermove" && e.buttons === 0) return;
    window.events.push({type, x: e.offsetX, y: e.offsetY, pointerType: e.pointerType});
  });
}
document.getElementById("status").textContent = "ready";
`

func pageServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, strokePage)
	})
	mux.HandleFunc("/stroke.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, strokeJS)
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		// A CSP that forbids the inline script below: the violation must be reported.
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><title>bad</title><script>console.log("ran")</script>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// waitErrors waits (up to 10 s) until at least n errors were seen: the
// browser reports them asynchronously.
func waitErrors(t *testing.T, b *Browser, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(b.ConsoleErrors()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return b.ConsoleErrors()
}

type event struct {
	Type        string  `json:"type"`
	X           float64 `json:"x"`
	Y           float64 `json:"y"`
	PointerType string  `json:"pointerType"`
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	b := New(t)
	srv := pageServer(t)

	t.Run("console errors and exceptions are collected", func(t *testing.T) {
		page := `data:text/html,<title>x</title><p>hi</p>`
		b.Run(t, chromedp.Navigate(page))
		if errs := b.ConsoleErrors(); len(errs) != 0 {
			t.Fatalf("clean page has console errors: %q", errs)
		}
		b.Run(t, chromedp.Evaluate[chromedp.Void](`console.error("boom", 42); console.log("not an error")`))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`setTimeout(() => { throw new Error("kaput") }, 0)`))
		errs := waitErrors(t, b, 2)
		if len(errs) != 2 || !strings.Contains(errs[0], "boom 42") || !strings.Contains(errs[1], "kaput") {
			t.Fatalf("ConsoleErrors = %q, want the console.error and the exception", errs)
		}
	})

	t.Run("CSP violation is an error", func(t *testing.T) {
		n := len(b.ConsoleErrors())
		b.Run(t, chromedp.Navigate(srv.URL+"/bad"))
		errs := waitErrors(t, b, n+1)[n:]
		if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "Content Security Policy") }) {
			t.Fatalf("inline script under CSP gave no error: %q", errs)
		}
	})

	t.Run("PointerStroke draws with pointer events", func(t *testing.T) {
		b.Run(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#c")))
		b.Wait(t, `document.getElementById("status").textContent === "ready"`)
		if err := b.PointerStroke("#c", [][2]float64{{0.1, 0.2}, {0.9, 0.2}, {0.9, 0.8}}); err != nil {
			t.Fatal(err)
		}
		evs := Eval[[]event](t, b, `window.events`)
		if len(evs) < 10 {
			t.Fatalf("only %d pointer events: %+v", len(evs), evs)
		}
		first, last := evs[0], evs[len(evs)-1]
		if first.Type != "pointerdown" || last.Type != "pointerup" || first.PointerType != "mouse" {
			t.Errorf("stroke = %s … %s (%s), want pointerdown … pointerup (mouse)", first.Type, last.Type, first.PointerType)
		}
		near := func(got, want float64) bool { return got > want-2 && got < want+2 }
		if !near(first.X, 20) || !near(first.Y, 20) || !near(last.X, 180) || !near(last.Y, 80) {
			t.Errorf("stroke from (%v,%v) to (%v,%v), want (20,20) to (180,80)", first.X, first.Y, last.X, last.Y)
		}
		var moves int
		for _, e := range evs {
			if e.Type == "pointermove" {
				moves++
			}
		}
		if moves < 30 { // 160 px + 60 px in steps of at most 4 px
			t.Errorf("%d pointermove events, want ≥ 30", moves)
		}
		if err := b.PointerStroke("#nothing", [][2]float64{{0, 0}}); err == nil {
			t.Errorf("PointerStroke on a missing element: no error")
		}
	})

	t.Run("Screenshot writes a PNG", func(t *testing.T) {
		file := b.Screenshot(t, "stroke")
		if file == "" {
			t.Fatal("no screenshot")
		}
		png, err := os.ReadFile(file)
		if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
			t.Fatalf("screenshot %s is not a PNG (%v)", file, err)
		}
	})
}
