package server

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestLessonWalk: /lesson can be walked from the first stop to the last
// with Next (clicks, then the → key), in both languages; each stop shows
// its number and title, and Back returns.
func TestLessonWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, lang := range i18n.Langs {
		b.Run(t, chromedp.Navigate(srv.URL+"/?lang="+lang))
		b.Wait(t, `document.readyState === "complete" && document.documentElement.lang === `+jsString(lang))
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="start-here"]`)))
		b.Wait(t, `location.pathname === "/lesson" && document.querySelectorAll('[data-testid="lesson-stops"] li').length === `+strconv.Itoa(len(lessonStops)))
		browsertest.Eval[bool](t, b, `(document.querySelector('[data-testid="lesson-next"]').click(), true)`) // a DOM click: no node id to go stale while the stop loads
		for n := 1; n <= len(lessonStops); n++ {
			want := i18n.TL(lang, "lesson."+lessonStops[n-1].ID+".title")
			b.Wait(t, `location.pathname === "/lesson/`+strconv.Itoa(n)+`" && document.readyState === "complete" && document.querySelector('[data-testid="lesson-title"]').textContent === `+jsString(want))
			count := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="lesson-count"]').textContent`)
			if wantCount := i18n.TL(lang, "lesson.stop_of", n, len(lessonStops)); count != wantCount {
				t.Errorf("%s stop %d: %q, want %q", lang, n, count, wantCount)
			}
			if n == len(lessonStops) {
				break
			}
			if n%2 == 1 {
				browsertest.Eval[bool](t, b, `(document.querySelector('[data-testid="lesson-next"]').click(), true)`) // a DOM click: no node id to go stale while the stop loads
			} else {
				b.Run(t, chromedp.KeyEvent(kb.PageDown))
			}
		}
		if browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="lesson-next"]') !== null`) {
			t.Errorf("%s: the last stop has a Next", lang)
		}
		if !browsertest.Eval[bool](t, b, `document.querySelector('[data-testid="lesson-end"]').getAttribute("href").startsWith("/quiz")`) {
			t.Errorf("%s: the last stop does not lead to the quiz", lang)
		}
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="lesson-back"]`)))
		b.Wait(t, `location.pathname === "/lesson/`+strconv.Itoa(len(lessonStops)-1)+`"`)
	}
	// Stop 3 is the worked 5×5 example: the live visualizer at its first
	// step, whose sum is 8; → steps the visualizer there, not the lesson.
	b.Run(t, chromedp.Navigate(srv.URL+"/lesson/3?lang=en"))
	b.Wait(t, `window.convlabVisualizer && document.querySelector("#conv.js")`)
	if sum := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="current-sum"]').textContent.trim()`); sum != "8" {
		t.Errorf("stop 3 shows the sum %q, want 8", sum)
	}
	b.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "2 / 9"`)
	if p := browsertest.Eval[string](t, b, `location.pathname`); p != "/lesson/3" {
		t.Errorf("→ on a stop with the visualizer went to %s", p)
	}
	// The step is in the address (a stable link to it), and reloads there.
	b.Run(t, chromedp.Reload())
	b.Wait(t, `document.readyState === "complete" && document.querySelector('[data-testid="step-index"]')?.textContent.trim() === "2 / 9"`)

	// The animation of stop 2 loads (the engine's GIF).
	b.Run(t, chromedp.Navigate(srv.URL+"/lesson/2"))
	b.Wait(t, `document.querySelector('[data-testid="lesson-anim"]').complete && document.querySelector('[data-testid="lesson-anim"]').naturalWidth > 0`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console: %v", errs)
	}
}

// TestLessonFollow: a student on /lesson?follow=1 (from the LAN address)
// is taken to the presenter's stop as the presenter moves; Detach stops
// that; the student cannot lead.
func TestLessonFollow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, teacherURL, studentURL := classroomServer(t)
	teacher := browsertest.New(t)
	student := browsertest.New(t)

	teacher.Run(t, chromedp.Navigate(teacherURL+"/lesson?lang=en"))
	wantURL := studentURL + "/lesson?follow=1"
	teacher.Wait(t, `document.querySelector('[data-testid="students-url"]')?.textContent === `+jsString(wantURL))
	png, err := chromedp.Run(teacher.Ctx, chromedp.Screenshot(chromedp.CSS(`[data-testid="students-qr"] svg`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, png); got != wantURL {
		t.Errorf("the lesson's QR code reads %q, want %q", got, wantURL)
	}
	teacher.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="lesson-lead"]`)))
	teacher.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="lesson-next"]`)))
	teacher.Wait(t, `location.pathname === "/lesson/1" && document.querySelector('[data-testid="lead-status"]').textContent.startsWith("Leading")`)

	student.Run(t, chromedp.Navigate(wantURL+"&lang=en"))
	student.Wait(t, `location.pathname === "/lesson/1" && document.querySelector('[data-testid="follow-status"]').textContent === "Following the teacher"`)
	if browsertest.Eval[bool](t, student, `document.querySelector('[data-testid="lesson-lead"]') !== null`) {
		t.Error("a student's lesson page offers leading")
	}
	teacher.Wait(t, `document.querySelector('[data-testid="followers"]').textContent === "1 student is following."`)

	// The teacher moves on with the keyboard (→ on a stop without the
	// visualizer, Page Down on one with it); the student follows.
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	teacher.Wait(t, `location.pathname === "/lesson/2" && document.readyState === "complete"`)
	student.Wait(t, `location.pathname === "/lesson/2" && document.querySelector('[data-testid="follow-status"]').textContent === "Following the teacher"`)
	// On a stop with the visualizer, the teacher's steps reach the student.
	teacher.Wait(t, `window.convlabVisualizer && document.querySelector("#conv.js")`)
	student.Wait(t, `window.convlabVisualizer && document.querySelector("#conv.js")`)
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	teacher.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "3 / 4"`)
	student.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "3 / 4" && location.pathname === "/lesson/2"`)
	teacher.Run(t, chromedp.KeyEvent(kb.PageDown))
	student.Wait(t, `location.pathname === "/lesson/3"`)
	teacher.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="lesson-back"]`)))
	student.Wait(t, `location.pathname === "/lesson/2" && document.readyState === "complete"`)
	// The student cannot lead by hand either.
	if status := evalAwait[float64](t, student, `fetch("/api/lesson/follow", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"stop": 9}'}).then(r => r.status)`); status != 403 {
		t.Errorf("a student's POST /api/lesson/follow: %v, want 403", status)
	}

	// Detach: the teacher's next stop no longer moves the student.
	student.Wait(t, `document.querySelector('[data-testid="follow-status"]').textContent === "Following the teacher"`)
	student.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="follow-detach"]`)))
	student.Wait(t, `document.querySelector('[data-testid="follow-status"]').textContent === "Exploring on your own."`)
	teacher.Run(t, chromedp.KeyEvent(kb.PageDown))
	teacher.Wait(t, `location.pathname === "/lesson/3" && document.readyState === "complete"`)
	teacher.Wait(t, `fetch("/api/lesson/follow").then(r => r.json()).then(j => j.stop === 3)`)
	if p := browsertest.Eval[string](t, student, `location.pathname`); p != "/lesson/2" {
		t.Errorf("a detached student was moved to %s", p)
	}
	// (The student's console has the 403 asked for above.)
	if errs := teacher.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("teacher's console: %v", errs)
	}
}
