package server

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
	"github.com/convlab/convlab/views"
)

// TestLayoutInBrowser: the start page in real Chromium has no console
// errors (so the CSP and the assets agree), a working skip link, the
// language switch, presenter mode, and no sideways scrolling on a phone.
func TestLayoutInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)

	b.Run(t, chromedp.Navigate(srv.URL+"/?lang=en"))
	if n := browsertest.Eval[int](t, b, `document.querySelectorAll("nav.site-nav a").length`); n != len(views.NavIDs()) {
		t.Errorf("%d navigation links, want %d", n, len(views.NavIDs()))
	}
	// app.css is applied (not blocked): the header is dark.
	if bg := browsertest.Eval[string](t, b, `getComputedStyle(document.querySelector(".site-header")).backgroundColor`); bg != "rgb(27, 31, 36)" {
		t.Errorf("header background %q: app.css not applied", bg)
	}
	// The first Tab reaches the skip link, which is then visible.
	b.Run(t, chromedp.KeyEvent("\t"))
	if got := browsertest.Eval[string](t, b, `document.activeElement.className`); got != "skip-link" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	if top := browsertest.Eval[float64](t, b, `document.activeElement.getBoundingClientRect().top`); top < 0 {
		t.Errorf("focused skip link is off screen (top %v)", top)
	}
	b.Run(t, chromedp.KeyEvent("\r"))
	b.Wait(t, `location.hash === "#main" && document.activeElement.id === "main"`)

	// Language switch.
	b.Run(t, chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="ko"]`)))
	b.Wait(t, `document.documentElement.lang === "ko"`)
	if h1 := browsertest.Eval[string](t, b, `document.querySelector("h1").textContent`); h1 != "합성곱을 눈으로 보며 배우기" {
		t.Errorf("Korean h1 = %q", h1)
	}
	b.Screenshot(t, "home-ko")

	// Presenter mode: larger type.
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?present=1&lang=en"))
	if fs := browsertest.Eval[string](t, b, `getComputedStyle(document.body).fontSize`); fs == "16px" {
		t.Errorf("presenter mode keeps the normal font size")
	}

	// A 360 px phone: nothing wider than the screen.
	b.Run(t, chromedp.EmulateViewport(360, 740), chromedp.Navigate(srv.URL+"/?lang=ko"))
	if w := browsertest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("page is %d px wide on a 360 px screen", w)
	}
	b.Screenshot(t, "home-phone")

	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
