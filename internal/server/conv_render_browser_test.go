package server

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/internal/browsertest"
)

// TestConvNotRebuiltOnLoad: the page the server rendered is the page the
// reader keeps. A MutationObserver installed before any of the page's
// scripts (Page.addScriptToEvaluateOnNewDocument) notes the stage's nodes
// as the parser adds them and every node removed from the visualizer's
// regions (the classroom bar is follow.js's); once the
// script has mounted, the nodes are the same objects and nothing was
// removed. (Before one renderer, renderAll("load") threw the server's
// grids and "This step" away and drew them again from JSON.)
func TestConvNotRebuiltOnLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of /conv: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	const watch = `
window.__server = {};
window.__removed = [];
new MutationObserver((records) => {
  for (const r of records) {
    for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      for (const e of [n, ...n.querySelectorAll("[id], [data-testid]")]) {
        const key = e.id || e.dataset.testid;
        if (key && !(key in window.__server)) window.__server[key] = e;
      }
    }
    for (const n of r.removedNodes) {
      if (r.target.closest && r.target.closest("#conv-stage, #conv-facts, #conv-live, #conv-error, #conv-settings, .conv-stepper")) window.__removed.push((r.target.id || r.target.tagName) + " > " + (n.id || n.nodeName));
    }
  }
}).observe(document, { childList: true, subtree: true });`
	b.Run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watch})
		return err
	}))
	for _, q := range []string{"preset=lesson-5x5&step=4", "preset=channels&step=5", "preset=lesson-mnist&step=30", "input=3&kernel=5"} {
		b.Run(t, chromedp.Navigate(srv.URL+"/conv?"+q))
		b.Wait(t, `document.querySelector("#conv.js") !== null && window.convlabVisualizer !== undefined`)
		if removed := browsertest.Eval[[]string](t, b, `window.__removed`); len(removed) > 0 {
			t.Errorf("%s: the script removed the server's nodes on load: %q", q, removed)
		}
		same := browsertest.Eval[[]string](t, b, `["conv-stage", "conv-channels", "conv-in-0", "conv-k-0", "conv-out-0", "conv-detail", "conv-facts", "conv-live", "conv-error"]
			.filter((id) => window.__server[id] !== undefined && window.__server[id] !== document.getElementById(id))`)
		if len(same) > 0 {
			t.Errorf("%s: replaced after load: %q", q, same)
		}
		if !strings.Contains(q, "kernel=5") {
			if n := browsertest.Eval[int](t, b, `Object.keys(window.__server).filter((k) => k.startsWith("conv-in-") || k === "equation").length`); n < 2 {
				t.Errorf("%s: the observer saw %d of the server's grids", q, n)
			}
			if !browsertest.Eval[bool](t, b, `window.__server["equation"] === document.querySelector('[data-testid="equation"]')`) {
				t.Errorf("%s: the equation is not the server's node", q)
			}
		}
	}
	// Stepping changes the stage in place and is drawn from the server's
	// trace: the equation of step 5 is what the server renders for step 5.
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=channels&step=4"))
	b.Wait(t, `document.querySelector("#conv.js") !== null`)
	b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState({step: 5})`))
	b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent === "5 / 18"`)
	_, body := get(t, nil, srv.URL+"/conv?preset=channels&step=5")
	if got, want := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="equation"]').textContent`), testid(t, body, "equation"); got != want {
		t.Errorf("step 5 in the browser %q, the server's %q", got, want)
	}
	if got := browsertest.Eval[int](t, b, `window.__server["conv-in-0"] === document.getElementById("conv-in-0") ? 1 : 0`); got != 1 {
		t.Error("stepping replaced the input grid")
	}
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "status of 400") || !strings.Contains(e, "kernel=5") { // the refused URL is a 400 page
			t.Errorf("console error: %s", e)
		}
	}
}

// TestConvRefusalInKorean: on /conv?lang=ko, an edit that makes an
// impossible configuration is refused in Korean, the engine's reason
// (a kernel larger than the padded input) as well as the visualizer's
// own bounds; fixing it brings the stage back.
func TestConvRefusalInKorean(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of /conv: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?lang=ko&input=5&kernel=3"))
	b.Wait(t, `document.querySelector("#conv.js") !== null`)
	errText := `document.getElementById("conv-error").textContent`

	// The kernel 7×7 on a 5×5 input without padding: the engine refuses.
	b.Run(t, chromedp.SetValue(chromedp.ID("conv-kernel"), "7"))
	b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-kernel").dispatchEvent(new Event("change", {bubbles: true}))`))
	b.Wait(t, errText+`.includes("커널 크기(7×7)가 패딩된 입력의 크기(5×5)보다 큽니다")`)
	if got := browsertest.Eval[string](t, b, errText); strings.Contains(got, "larger") || !strings.HasPrefix(strings.TrimSpace(got), "이 설정으로는 계산할 수 없습니다:") {
		t.Errorf("refusal %q is not Korean", got)
	}
	if !browsertest.Eval[bool](t, b, `document.getElementById("conv").classList.contains("has-error")`) {
		t.Error("the stage of the impossible configuration is shown")
	}
	b.Screenshot(t, "refused-ko")

	// Back to a kernel that fits: the stage returns, the message goes.
	b.Run(t, chromedp.SetValue(chromedp.ID("conv-kernel"), "3"))
	b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-kernel").dispatchEvent(new Event("change", {bubbles: true}))`))
	b.Wait(t, `document.querySelector('[data-testid="output-size"]').textContent === "3×3" && !document.getElementById("conv").classList.contains("has-error")`)
	if got := browsertest.Eval[string](t, b, errText); strings.TrimSpace(got) != "" {
		t.Errorf("message left after the fix: %q", got)
	}

	// Out of the visualizer's bounds through the script API: refused in
	// Korean, the state kept.
	b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState({kh: 9, kw: 9})`))
	b.Wait(t, errText+`.includes("범위를 벗어났습니다")`)
	if kh := browsertest.Eval[int](t, b, `window.convlabVisualizer.getState().kh`); kh != 3 {
		t.Errorf("refused state kept kh %d, want 3", kh)
	}
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "422") || !strings.Contains(e, "/conv/stage") {
			t.Errorf("console error: %s", e)
		}
	}
}

func testidText(t *testing.T, b *browsertest.Browser, testid string) string {
	t.Helper()
	return browsertest.Eval[string](t, b, `(document.querySelector('[data-testid="`+testid+`"]')?.textContent || "").trim()`)
}

// TestConvEditNotLostToAStep: a step taken while an edit's answer is on
// its way does not drop the edit (the server's answer is slowed here, so
// the step surely comes first).
func TestConvEditNotLostToAStep(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of /conv: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=lesson-5x5"))
	b.Wait(t, `document.querySelector("#conv.js") !== null`)
	b.Run(t, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = window.fetch;
		window.fetch = (...a) => f(...a).then((r) => new Promise((ok) => setTimeout(() => ok(r), 400)));
		const V = window.convlabVisualizer, x = V.getState().x;
		x[0] = 4;
		V.setState({x, x_set: true}, {source: "user"}).then(() => { window.editDone = true; });
		V.setState({step: 2}, {source: "user"});
	})()`))
	b.Wait(t, `window.editDone === true && !document.getElementById("conv").classList.contains("loading")`)
	// Input (0,0) 1 → 4 under weight 1: the first window's 8 becomes 11.
	if got := testidText(t, b, "current-sum"); got != "11" || testidText(t, b, "step-index") != "1 / 9" {
		t.Errorf("after the edit: sum %q at %q, want 11 at 1 / 9", got, testidText(t, b, "step-index"))
	}
	if got := browsertest.Eval[float64](t, b, `window.convlabVisualizer.getState().x[0]`); got != 4 {
		t.Errorf("x[0] = %v after the edit, want 4", got)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
