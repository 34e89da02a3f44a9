package server

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestFollowAlongTwoBrowsers: two headless Chromiums, a teacher leading
// and a student following. The student's visualizer takes the teacher's
// configuration and step live (through POST /api/follow and the SSE
// stream), "Detach" stops that, and "Follow the teacher again" catches up
// at once.
func TestFollowAlongTwoBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of the follow-along: -short")
	}
	_, srv := newTestServer(t)
	teacher := browsertest.New(t)
	student := browsertest.New(t)

	text := func(b *browsertest.Browser, testid string) string {
		t.Helper()
		return browsertest.Eval[string](t, b, `(document.querySelector('[data-testid="`+testid+`"]')?.textContent || "").trim()`)
	}
	waitText := func(b *browsertest.Browser, testid, want string) {
		t.Helper()
		b.Wait(t, `(document.querySelector('[data-testid="`+testid+`"]')?.textContent || "").trim() === `+jsString(want))
	}

	// The teacher opens the stride preset (5×5, 3×3, stride 2: 4 steps)
	// and starts leading.
	teacher.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=stride&lang=en"))
	teacher.Wait(t, `document.querySelector("#conv.js") !== null && window.convlabVisualizer`)
	teacher.Run(t, chromedp.Click(chromedp.CSS(`#class-lead`)))
	teacher.Wait(t, `document.querySelector('[data-testid="lead-status"]').textContent.startsWith("Leading")`)

	// The student opens the follow link, in Korean, on another example
	// (7×7 output): it becomes the teacher's (2×2).
	student.Run(t, chromedp.Navigate(srv.URL+"/conv?follow=1&preset=zero-padding&lang=ko"))
	student.Wait(t, `document.querySelector("#conv.js") !== null`)
	waitText(student, "output-size", "2×2")
	waitText(student, "step-index", "1 / 4")
	waitText(student, "follow-status", "선생님 화면을 따라가는 중")
	waitText(student, "follow-status", "선생님 화면을 따라가는 중")

	// The teacher steps with the keyboard; the student follows.
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	waitText(teacher, "step-index", "3 / 4")
	waitText(student, "step-index", "3 / 4")
	if got, want := text(student, "current-sum"), text(teacher, "current-sum"); got != want {
		t.Errorf("student's sum %q, teacher's %q", got, want)
	}
	// A change of configuration through the visualizer's script API
	// (the same path as the controls) reaches the student too.
	browsertest.Eval[any](t, teacher, `window.convlabVisualizer.setState({in_h: 7, in_w: 7, step: 1}, {source: "user"}).then(() => true)`)
	waitText(teacher, "output-size", "3×3")
	waitText(student, "output-size", "3×3")
	waitText(student, "step-index", "1 / 9")
	teacher.Screenshot(t, "teacher")
	student.Screenshot(t, "student-following")

	// Detach: the student explores alone; the teacher's steps no longer arrive.
	student.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="follow-detach"]`)))
	waitText(student, "follow-status", "혼자서 탐색하는 중입니다.")
	student.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	waitText(student, "step-index", "2 / 9")
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight),
		chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	waitText(teacher, "step-index", "6 / 9")
	// The server has the teacher's step 6 (so the student could have had it) ...
	teacher.Wait(t, `fetch("/api/follow").then(r => r.json()).then(j => j.state.step === 6)`)
	// ... but the detached student stays where they went.
	if got := text(student, "step-index"); got != "2 / 9" {
		t.Errorf("detached student's step-index %q, want 2 / 9", got)
	}
	if q := browsertest.Eval[string](t, student, `location.search`); containsParam(q, "follow") {
		t.Errorf("detached student's URL still follows: %s", q)
	}

	// Follow again: the latest state arrives at once.
	student.Run(t, chromedp.Click(chromedp.CSS(`#class-rejoin`)))
	waitText(student, "step-index", "6 / 9")
	waitText(student, "follow-status", "선생님 화면을 따라가는 중")

	// The teacher stops leading: the student is told, and further steps
	// are not sent.
	teacher.Run(t, chromedp.Click(chromedp.CSS(`#class-lead`)))
	waitText(student, "follow-status", "선생님이 수업 이끌기를 멈췄습니다. 혼자 탐색하거나 다음 단계를 기다리세요.")
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	waitText(teacher, "step-index", "7 / 9")
	if got := text(student, "step-index"); got != "6 / 9" {
		t.Errorf("student's step-index %q after the teacher stopped leading, want 6 / 9", got)
	}

	// Leading again, the teacher opens another preset (a new page load):
	// the page keeps leading by itself and the student gets the new one.
	teacher.Run(t, chromedp.Click(chromedp.CSS(`#class-lead`)))
	waitText(student, "step-index", "7 / 9")
	teacher.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=lesson-4x4&lang=en"))
	teacher.Wait(t, `document.querySelector("#conv.js") !== null && document.getElementById("class-lead").checked`)
	waitText(student, "output-size", "2×2")
	waitText(student, "step-index", "1 / 4")
	waitText(student, "follow-status", "선생님 화면을 따라가는 중")

	for name, b := range map[string]*browsertest.Browser{"teacher": teacher, "student": student} {
		if errs := b.ConsoleErrors(); len(errs) > 0 {
			t.Errorf("%s's console errors: %q", name, errs)
		}
	}
}

func containsParam(query, name string) bool {
	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	return err != nil || v.Has(name)
}
