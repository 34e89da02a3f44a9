package server

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/browsertest"
)

// phonePages are the pages a student opens on a phone.
var phonePages = []string{
	"/", "/lesson", "/lesson/1", "/lesson/2", "/lesson/3", "/lesson/4", "/lesson/5", "/lesson/6",
	"/lesson/7", "/lesson/8", "/lesson/9", "/lesson/10", "/lesson/11", "/lesson?follow=1",
	"/animations", "/train", "/draw", "/conv", "/conv?preset=lesson-mnist&step=676", "/conv?preset=zero-padding", "/conv?follow=1",
	"/quiz?kind=size&seed=1", "/quiz?kind=cell&seed=2", "/quiz?kind=padding&seed=3",
}

// phoneW, phoneH: a 390×844 phone (iPhone 12-15 class).
const phoneW, phoneH = 390, 844

// emulatePhone sets a 390×844 mobile viewport with touch. Under mobile
// emulation innerWidth grows with wide content, so tests compare with
// phoneW itself.
func emulatePhone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)
}

// TestPhoneLayout: at 390×844 with mobile emulation no page scrolls
// sideways (document scrollWidth ≤ 390), in both languages, and the
// controls one taps (buttons, selects, text fields, checkboxes and radios
// with their labels, summaries, the menu) are at least 44 px tall.
func TestPhoneLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, emulatePhone())
	for _, lang := range i18n.Langs {
		for _, path := range phonePages {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			b.Run(t, chromedp.Navigate(srv.URL+path+sep+"lang="+lang))
			b.Wait(t, `document.readyState === "complete"`)
			if w := browsertest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > phoneW {
				wide := browsertest.Eval[[]string](t, b, widestElements)
				t.Errorf("%s (%s): the page is %d px wide on a %d px phone; too wide: %v", path, lang, w, phoneW, wide)
				b.Screenshot(t, "wide-"+lang+path)
			}
			// The visualizer's sticky stepper leaves room for the grids.
			if h := browsertest.Eval[float64](t, b, `document.querySelector(".conv-stepper")?.getBoundingClientRect().height || 0`); h > 110 {
				t.Errorf("%s (%s): the stepper is %.0f px tall", path, lang, h)
			}
			if small := browsertest.Eval[[]string](t, b, smallTargets); len(small) > 0 {
				t.Errorf("%s (%s): tap targets under 44 px: %v", path, lang, small)
			}
		}
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console: %v", errs)
	}
}

// widestElements names the elements that reach past the phone's width.
const widestElements = `[...document.querySelectorAll("body *")].filter(e => {
	const r = e.getBoundingClientRect();
	if (r.right <= 391 || r.width === 0 || getComputedStyle(e).position === "fixed") return false;
	for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
		if (getComputedStyle(a).overflowX !== "visible") return false; // inside a scroll box
	return true;
}).slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "") + " " + Math.round(e.getBoundingClientRect().right))`

// smallTargets lists visible controls under 44 px tall. A checkbox or a
// radio counts with its label (the label is part of the target); links
// inside running text are exempt (WCAG 2.5.8's inline exception).
const smallTargets = `[...document.querySelectorAll("button, select, input:not([type=hidden]), summary, .site-nav a, .lang-switch a, a.button")].filter(e => {
	const r = e.getBoundingClientRect();
	if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === "hidden") return false;
	let h = r.height;
	if (e.type === "checkbox" || e.type === "radio") {
		const l = e.closest("label") || (e.id && document.querySelector('label[for="' + e.id + '"]'));
		const box = (l && !l.contains(e)) ? e.parentElement : l;
		if (box) h = Math.max(h, box.getBoundingClientRect().height);
	}
	return h < 43.5;
}).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.type ? "[" + e.type + "]" : "") + " " + Math.round(e.getBoundingClientRect().height))`

// TestPrintStylesheet: printing /conv, /lesson and /animations leaves out
// the menu, the buttons, the sliders and the forms, and keeps the content.
func TestPrintStylesheet(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	for _, path := range []string{"/conv?preset=lesson-5x5", "/lesson/3", "/lesson/5", "/animations"} {
		b.Run(t, chromedp.Navigate(srv.URL+path))
		b.Wait(t, `document.readyState === "complete"`)
		shown := browsertest.Eval[[]string](t, b, `[...document.querySelectorAll(".site-header, .site-nav, .site-footer, button, input[type=range], select, form")]
			.filter(e => e.getClientRects().length > 0).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : ""))`)
		if len(shown) > 0 {
			t.Errorf("%s in print shows %v", path, shown)
		}
		if !browsertest.Eval[bool](t, b, `document.querySelector("main h1").getClientRects().length > 0`) {
			t.Errorf("%s in print: the heading is gone", path)
		}
	}
	if !browsertest.Eval[bool](t, b, `(location.href = "/conv?preset=lesson-5x5", true)`) {
		t.Fatal()
	}
	b.Wait(t, `location.pathname === "/conv" && document.readyState === "complete" && document.querySelector("#conv.js")`)
	if !browsertest.Eval[bool](t, b, `[...document.querySelectorAll("table")].some(e => e.getClientRects().length > 0)`) {
		t.Error("/conv in print shows no grid")
	}
}
