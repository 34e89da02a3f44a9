package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
	"github.com/convlab/convlab/internal/quiz"
)

// TestQuizInBrowser: a student answers in Korean; a wrong answer gets the
// right one with the worked products, a right one is praised, and "see it
// on the visualizer" opens /conv at that cell, where the visualizer's sum
// is the quiz's answer.
func TestQuizInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of the quiz: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	q, err := quiz.New(quiz.KindCell, 7)
	if err != nil {
		t.Fatal(err)
	}
	right := quiz.FormatNum(q.Answer)
	wrong := quiz.FormatNum(q.Answer + 1)
	feedback := `document.querySelector('[data-testid="quiz-feedback"]')`

	b.Run(t, chromedp.Navigate(srv.URL+"/quiz?kind=cell&seed=7&lang=ko"))
	b.Wait(t, `document.readyState === "complete"`)
	b.Run(t, chromedp.SendKeys(chromedp.ID("quiz-answer"), wrong), chromedp.KeyEvent(kb.Enter))
	b.Wait(t, feedback+`.textContent.includes("아쉽네요")`)
	if got := browsertest.Eval[string](t, b, feedback+`.textContent`); !containsAll(got, "정답은 "+right, q.Products()) {
		t.Errorf("feedback on a wrong answer: %q, want the answer %s and %q", got, right, q.Products())
	}
	// Checked in place: no page load.
	if got := browsertest.Eval[string](t, b, `location.search`); got != "?kind=cell&seed=7&lang=ko" {
		t.Errorf("the page reloaded: %s", got)
	}
	b.Run(t, chromedp.SetValue(chromedp.ID("quiz-answer"), right), chromedp.Click(chromedp.ID("quiz-check")))
	b.Wait(t, feedback+`.textContent.includes("정답입니다!")`)
	b.Screenshot(t, "quiz-right-ko")
	b.Wait(t, `!document.getElementById("quiz-conv").classList.contains("hidden-msg")`)
	b.Run(t, chromedp.Click(chromedp.ID("quiz-conv")))
	b.Wait(t, `location.pathname === "/conv" && document.querySelector("#conv.js") !== null`)
	want := fmt.Sprintf("%d / %d", q.OutY*q.Out+q.OutX+1, q.Out*q.Out)
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === `+jsString(want))
	if got := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="current-sum"]').textContent.trim()`); got != right {
		t.Errorf("the visualizer's sum at the asked cell is %s, the quiz's answer %s", got, right)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
