// Package browsertest runs browser tests in a real headless Chromium
// (Debian's /usr/bin/chromium) through chromedp.
//
//	b := browsertest.New(t)
//	if err := chromedp.Do(b.Ctx, chromedp.Navigate(srv.URL+"/conv")); err != nil { t.Fatal(err) }
//	...
//	b.Screenshot(t, "conv")
//	if errs := b.ConsoleErrors(); len(errs) > 0 { t.Errorf("console errors: %q", errs) }
//
// Every New starts its own browser with a fresh profile, so cookies and
// storage never leak between tests; open more tabs from b.Ctx with
// chromedp.NewContext if a test needs two pages (e.g. leader and follower).
// Without Chromium the test is skipped, unless the environment variable CI
// is set, when it fails.
package browsertest

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts the browser.
// The environment variable CHROMIUM overrides it.
const DefaultChromium = "/usr/bin/chromium"

// Timeout bounds one Browser's whole life (Ctx's deadline), unless the
// test's own deadline is sooner.
const Timeout = 2 * time.Minute

// Browser is one headless Chromium with one tab.
type Browser struct {
	// Ctx is the chromedp context of the tab; run actions with
	// chromedp.Do(b.Ctx, ...) or chromedp.Run(b.Ctx, ...).
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// New starts a headless Chromium for t and returns it with a blank tab
// open. It is closed when the test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = DefaultChromium
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium not installed (%s): %v; .ci/run installs Debian's chromium package", path, err)
		}
		t.Skipf("chromium not installed: %s (apt-get install chromium)", path)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 900),
	)

	deadline := time.Now().Add(Timeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok && td.Add(-5*time.Second).Before(deadline) {
			deadline = td.Add(-5 * time.Second)
		}
	}
	base, cancelBase := context.WithDeadline(context.Background(), deadline)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)

	b := &Browser{}
	ctx, cancelTab := chromedp.NewContext(allocCtx,
		chromedp.WithListener(b.listen),
		chromedp.WithLogf(func(string, ...any) {}),
	)
	b.Ctx = ctx
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelBase()
	})
	// Start the browser and open the tab now, so a failure to start is
	// reported here and not in the test's first action.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// listen runs on chromedp's event loop: it must be quick and must not
// call chromedp. It collects console.error calls, uncaught exceptions and
// browser-log errors (failed loads, CSP violations).
func (b *Browser) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		parts := make([]string, 0, len(e.Args))
		for _, a := range e.Args {
			parts = append(parts, remoteText(a))
		}
		msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
		if st := e.StackTrace; st != nil && len(st.CallFrames) > 0 {
			f := st.CallFrames[0]
			msg += fmt.Sprintf(" (%s:%d)", f.URL, f.LineNumber+1)
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		if d == nil {
			return
		}
		msg = "exception: " + d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(remoteText(d.Exception), "\n")
			msg += " " + desc
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *log.EventEntryAdded:
		if e.Entry == nil || e.Entry.Level != log.EntryLevelError {
			return
		}
		msg = "log." + string(e.Entry.Source) + ": " + e.Entry.Text
		if e.Entry.URL != "" {
			msg += " (" + e.Entry.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return "null"
	}
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if err := jsonv2.Unmarshal(o.Value, &s); err == nil {
			return s
		}
	}
	switch {
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	}
	return string(o.Type)
}

// ConsoleErrors returns the console.error messages, uncaught exceptions
// and browser-log errors (a failed resource load, a CSP violation) seen
// so far, in order.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Run runs actions on the tab and fails the test (with the console errors
// so far) if one fails.
func (b *Browser) Run(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatalf("browser: %v (console errors: %q)", err, b.ConsoleErrors())
	}
}

// Eval evaluates a JavaScript expression and returns its value as T.
func Eval[T any](t testing.TB, b *Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v (console errors: %q)", expr, err, b.ConsoleErrors())
	}
	return v
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a PNG of the viewport as
// artifacts/screenshots/<test>-<name>.png at the module root (gitignored;
// CI keeps the directory as artifacts). A failure is logged, not fatal.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := filepath.Join(moduleRoot(), "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	t.Logf("screenshot: %s", file)
	return file
}

// moduleRoot is the directory holding go.mod above the working directory
// (go test runs in the package's directory).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

type rect struct{ X, Y, W, H float64 }

// PointerStroke draws one stroke on the element matched by the CSS
// selector sel (usually a canvas), as a mouse would: press at the first
// point, move through the others, release at the last. Points are
// fractions of the element's box: {0, 0} is its top-left corner, {1, 1}
// its bottom-right. Chromium turns the input into pointerdown,
// pointermove and pointerup events (pointerType "mouse") and mouse events,
// with intermediate moves every few pixels.
func (b *Browser) PointerStroke(sel string, pts [][2]float64) error {
	if len(pts) == 0 {
		return fmt.Errorf("PointerStroke %s: no points", sel)
	}
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return null;
		el.scrollIntoView({block: "center", inline: "center"});
		const r = el.getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`, sel)
	r, err := chromedp.Run(b.Ctx, chromedp.Evaluate[*rect](js))
	if err != nil {
		return fmt.Errorf("PointerStroke %s: %w", sel, err)
	}
	if r == nil {
		return fmt.Errorf("PointerStroke: no element matches %s", sel)
	}
	at := func(p [2]float64) (float64, float64) { return r.X + p[0]*r.W, r.Y + p[1]*r.H }
	left := chromedp.ButtonLeft
	x0, y0 := at(pts[0])
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, left, chromedp.ClickCount(1), buttons(1)),
	}
	px, py := x0, y0
	for _, p := range pts[1:] {
		x, y := at(p)
		n := max(1, int(math.Ceil(math.Hypot(x-px, y-py)/4)))
		for i := 1; i <= n; i++ {
			f := float64(i) / float64(n)
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, px+(x-px)*f, py+(y-py)*f, left, buttons(1)))
		}
		px, py = x, y
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, px, py, left, chromedp.ClickCount(1)))
	if err := chromedp.Do(b.Ctx, steps...); err != nil {
		return fmt.Errorf("PointerStroke %s: %w", sel, err)
	}
	return nil
}

// buttons sets the pressed-buttons bit field (1 = left) that pointermove
// needs to count as a drag.
func buttons(n int64) chromedp.MouseOption {
	return func(p *input.DispatchMouseEventParams) { p.Buttons = n }
}

// Wait polls the JavaScript expression until it is truthy (or Ctx ends),
// failing the test on error. It keeps waiting across a navigation (a
// click on a link), when the page's JavaScript context is replaced.
func (b *Browser) Wait(t testing.TB, expr string) {
	t.Helper()
	for {
		_, err := chromedp.Run(b.Ctx, chromedp.Poll[any](expr))
		if err == nil {
			return
		}
		if b.Ctx.Err() == nil && navigating(err) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		t.Fatalf("waiting for %s: %v (console errors: %q)", expr, err, b.ConsoleErrors())
	}
}

// navigating reports whether err comes from a page being replaced.
func navigating(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}
