package server

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// The visualizer in a real headless Chromium: every preset and a URL
// configuration open on the right output size, the lesson's 5x5 example
// makes 8 at step 1, the buttons and the keyboard step, an edited value is
// recomputed by the engine through POST /api/conv, and a shared link
// reproduces the page. Screenshots go to artifacts/screenshots/.
func TestConvBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test of /conv: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	// A laptop screen, tall enough that a screenshot shows the whole stage.
	b.Run(t, chromedp.EmulateViewport(1280, 1400))

	text := func(t *testing.T, testid string) string {
		t.Helper()
		return browsertest.Eval[string](t, b, `(document.querySelector('[data-testid="`+testid+`"]')?.textContent || "").trim()`)
	}
	open := func(t *testing.T, query string) {
		t.Helper()
		b.Run(t, chromedp.Navigate(srv.URL+"/conv?"+query))
		// The script has taken over when the root carries "js".
		b.Wait(t, `document.querySelector("#conv.js") !== null`)
	}
	// clean fails on console errors since mark; the engine's 422 for a
	// configuration PyTorch rejects is expected where a test provokes one.
	clean := func(t *testing.T, mark int, allow422 bool) {
		t.Helper()
		for _, e := range b.ConsoleErrors()[mark:] {
			if allow422 && strings.Contains(e, "422") && strings.Contains(e, "/conv/stage") {
				continue
			}
			t.Errorf("console error: %s", e)
		}
	}
	waitText := func(t *testing.T, testid, want string) {
		t.Helper()
		b.Wait(t, `(document.querySelector('[data-testid="`+testid+`"]')?.textContent || "").trim() === `+jsString(want))
	}

	t.Run("presets and a URL configuration", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		for _, tc := range []struct{ query, size string }{
			{"preset=lesson-4x4", "2×2"},
			{"preset=lesson-5x5", "3×3"},
			{"preset=lesson-mnist", "26×26"},
			{"preset=stride", "2×2"},
			{"preset=zero-padding", "7×7"},
			{"preset=half-padding", "5×5"},
			{"preset=arbitrary-padding", "6×6"},
			{"preset=odd-stride", "3×3"},
			{"preset=dilation", "3×3"},
			{"preset=transposed", "5×5"},
			{"preset=reflect", "5×5"},
			{"preset=channels", "3×3"},
			{"input=7&kernel=3&stride=2&padding=1", "4×4"},
		} {
			open(t, tc.query)
			if got := text(t, "output-size"); got != tc.size {
				t.Errorf("%s: output-size %q, want %q", tc.query, got, tc.size)
			}
			if got := text(t, "step-index"); !strings.HasPrefix(got, "1 / ") {
				t.Errorf("%s: step-index %q, want step 1", tc.query, got)
			}
			if got := text(t, "formula"); !strings.Contains(got, "o = ") {
				t.Errorf("%s: formula %q", tc.query, got)
			}
			// The script repaints what the server painted: same numbers.
			_, body := get(t, nil, srv.URL+"/conv?"+tc.query)
			for _, id := range []string{"conv-in-0", "conv-k-0", "conv-out-0"} {
				server := tableTexts(body, id)
				page := browsertest.Eval[[]string](t, b, `Array.from(document.querySelectorAll("#`+id+` td"), (td) => td.textContent)`)
				if strings.Join(server, "|") != strings.Join(page, "|") {
					t.Errorf("%s #%s: server painted %q, the script %q", tc.query, id, server, page)
				}
			}
			if got := testid(t, body, "equation"); got != text(t, "equation") {
				t.Errorf("%s: server equation %q, the script's %q", tc.query, got, text(t, "equation"))
			}
			b.Screenshot(t, strings.NewReplacer("=", "-", "&", "_").Replace(tc.query))
		}
		clean(t, mark, false)
	})

	t.Run("lesson 5x5: step 1 makes 8, buttons and keys step", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		open(t, "preset=lesson-5x5")
		if got := text(t, "current-sum"); got != "8" {
			t.Errorf("current-sum at step 1 = %q, want 8", got)
		}
		if got := text(t, "equation"); got != "1×1 + 2×0 + 3×1 + 0×0 + 1×1 + 5×0 + 1×1 + 0×0 + 2×1 = 8" {
			t.Errorf("equation %q", got)
		}
		if got := text(t, "step-index"); got != "1 / 9" {
			t.Errorf("step-index %q, want 1 / 9", got)
		}
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="step-next"]`)))
		waitText(t, "step-index", "2 / 9")
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="step-next"]`)))
		waitText(t, "step-index", "3 / 9")
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="step-prev"]`)))
		waitText(t, "step-index", "2 / 9")
		// The keyboard, from the page (not a text field).
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur(); document.getElementById("main").focus()`))
		b.Run(t, chromedp.KeyEvent(kb.ArrowRight))
		waitText(t, "step-index", "3 / 9")
		b.Run(t, chromedp.KeyEvent(kb.ArrowLeft))
		waitText(t, "step-index", "2 / 9")
		// The step is in the URL.
		if loc := browsertest.Eval[string](t, b, `location.search`); !strings.Contains(loc, "step=2") {
			t.Errorf("URL %q has no step=2", loc)
		}
		// Space plays; it reaches the last step (speed 5×) and stops.
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-speed"), "150"))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-speed").dispatchEvent(new Event("change")); document.getElementById("main").focus()`))
		b.Run(t, chromedp.KeyEvent(" "))
		waitText(t, "step-index", "9 / 9")
		b.Wait(t, `document.getElementById("conv-play").getAttribute("aria-pressed") === "false"`)
		// Playing fast, the narration waits; at the end it says the last step.
		b.Wait(t, `document.getElementById("conv-live").textContent.startsWith("Output row 3, column 3: ")`)
		b.Screenshot(t, "last-step")
		clean(t, mark, false)
	})

	t.Run("editing a value asks the engine", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		open(t, "preset=lesson-5x5")
		// Input cell (0,0) holds 1 under weight 1: make it 4, the sum goes 8 → 11.
		b.Run(t, chromedp.Click(chromedp.CSS(`#conv-in-0 td[data-y="0"][data-x="0"]`)))
		b.Wait(t, `document.querySelector("#conv-in-0 input.cell-edit") !== null`)
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#conv-in-0 input.cell-edit").select()`))
		b.Run(t, chromedp.KeyEvent("4"+kb.Enter))
		waitText(t, "current-sum", "11")
		if got := text(t, "equation"); !strings.HasPrefix(got, "4×1 + 2×0") {
			t.Errorf("equation after the edit: %q", got)
		}
		loc := browsertest.Eval[string](t, b, `location.search`)
		q, _ := url.ParseQuery(strings.TrimPrefix(loc, "?"))
		if !strings.HasPrefix(q.Get("x"), "4,2,3,") || q.Get("preset") != "" {
			t.Errorf("URL after the edit: %q", loc)
		}
		// A kernel weight, by keyboard: focus the kernel grid, type 2, Enter.
		b.Run(t, chromedp.Focus(chromedp.CSS(`#conv-k-0`)))
		b.Run(t, chromedp.KeyEvent("2"+kb.Enter))
		// w(0,0) 1 → 2 adds another 4: 11 → 15.
		waitText(t, "current-sum", "15")
		b.Screenshot(t, "edited")

		// The shared link reproduces the page (server-rendered).
		shared := browsertest.Eval[string](t, b, `location.href`)
		_, body := get(t, nil, shared)
		if got := testid(t, body, "current-sum"); got != "15" {
			t.Errorf("shared link %s renders current-sum %q, want 15", shared, got)
		}
		clean(t, mark, false)
	})

	t.Run("controls change the configuration", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		defer clean(t, mark, true)
		open(t, "input=7&kernel=3&stride=2&padding=1")
		if got := text(t, "output-size"); got != "4×4" {
			t.Errorf("output-size %q, want 4×4", got)
		}
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-stride"), "1"))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-stride").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitText(t, "output-size", "7×7")
		waitText(t, "step-index", "1 / 49")
		// An impossible configuration explains itself.
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-kernel"), "7"))
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-padding"), "0"))
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-input"), "5"))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-input").dispatchEvent(new Event("change", {bubbles: true}))`))
		b.Wait(t, `document.getElementById("conv-error").textContent.includes("larger than the padded input")`)
		b.Screenshot(t, "invalid")
		// A shared link of a default-filled configuration reproduces too.
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-input"), "6x9"))
		b.Run(t, chromedp.SetValue(chromedp.ID("conv-kernel"), "3x2"))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.getElementById("conv-input").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitText(t, "output-size", "4×8")
		b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="step-next"]`)))
		waitText(t, "step-index", "2 / 32")
		eq := text(t, "equation")
		_, body := get(t, nil, browsertest.Eval[string](t, b, `location.href`))
		if got := testid(t, body, "equation"); got != eq {
			t.Errorf("the shared link renders %q, the page showed %q", got, eq)
		}
	})

	t.Run("driven from outside, named kernels, copied padding", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		defer clean(t, mark, false)
		open(t, "preset=lesson-5x5")
		b.Run(t, chromedp.Evaluate[chromedp.Void](`window.seen = []; window.convlabVisualizer.subscribe((s, info) => window.seen.push(s.step + ":" + info.source))`))
		b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState({step: 5}, {source: "follow"})`))
		waitText(t, "step-index", "5 / 9")
		if got := browsertest.Eval[[]string](t, b, `window.seen`); len(got) == 0 || got[len(got)-1] != "5:follow" {
			t.Errorf("subscriber saw %q, want …5:follow", got)
		}
		// A second copy of the module (another URL) forwards to the page's.
		b.Run(t, chromedp.Evaluate[chromedp.Void](`import("/static/js/visualizer.js?copy=2").then((m) => m.setState({step: 6}))`))
		waitText(t, "step-index", "6 / 9")
		if n := browsertest.Eval[int](t, b, `document.querySelectorAll("#conv-channels table").length`); n != 2 {
			t.Errorf("the copy mounted again: %d tables", n)
		}
		b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState({step: 5})`))
		waitText(t, "step-index", "5 / 9")
		// Pointing at a product lights its input cell and its weight.
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#conv-detail li[data-tap]")[2].dispatchEvent(new MouseEvent("mouseover", {bubbles: true}))`))
		// Step 5 = output (1,1): tap 2 reads input (1,3) with weight (0,2).
		if !browsertest.Eval[bool](t, b, `document.querySelector('#conv-in-0 td[data-y="1"][data-x="3"]').classList.contains("tap-hl") && document.querySelector('#conv-k-0 td[data-ky="0"][data-kx="2"]').classList.contains("tap-hl")`) {
			t.Error("pointing at a product does not light its cell and weight")
		}
		// The identity kernel passes the window's centre through: input (2,2) = 2.
		b.Run(t, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("conv-named"); s.value = "identity"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`))
		waitText(t, "current-sum", "2")
		waitText(t, "step-index", "5 / 9")
		// A configuration change from outside recomputes and lands in the URL.
		b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState({sh: 2, sw: 2, step: 1})`))
		waitText(t, "output-size", "2×2")
		st := browsertest.Eval[map[string]any](t, b, `window.convlabVisualizer.getState()`)
		if st["preset"] != "" || st["sh"] != float64(2) || st["w_set"] != true {
			t.Errorf("state after setState: preset %v sh %v w_set %v", st["preset"], st["sh"], st["w_set"])
		}
		if loc := browsertest.Eval[string](t, b, `location.search`); !strings.Contains(loc, "stride=2") || !strings.Contains(loc, "w=0%2C0%2C0%2C0%2C1") {
			t.Errorf("URL %q", loc)
		}

		// The default fill is the same in the script and on the server, for
		// several channels and filters and for the transposed layout: a
		// shared link renders what the page showed.
		for _, patch := range []string{
			`{in_h: 5, in_w: 6, kh: 2, kw: 3, sh: 1, sw: 1, channels: 2, filters: 3, bias: true, step: 40}`,
			`{in_h: 3, in_w: 3, kh: 3, kw: 3, sh: 2, sw: 2, channels: 2, filters: 2, transposed: true, bias: true, step: 30}`,
		} {
			open(t, "input=4&kernel=3")
			b.Run(t, chromedp.Evaluate[chromedp.Void](`window.convlabVisualizer.setState(`+patch+`)`))
			b.Wait(t, `!document.getElementById("conv").classList.contains("loading") && window.convlabVisualizer.getState().channels === 2`)
			b.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.startsWith("`+map[bool]string{true: "30", false: "40"}[strings.Contains(patch, "transposed")]+` / ")`)
			eq := text(t, "equation")
			shared := browsertest.Eval[string](t, b, `location.href`)
			if strings.Contains(shared, "x=") || strings.Contains(shared, "w=") {
				t.Errorf("default values written to the URL: %s", shared)
			}
			_, body := get(t, nil, shared)
			if got := testid(t, body, "equation"); got != eq {
				t.Errorf("%s: the shared link %s renders\n%q, the page showed\n%q", patch, shared, got, eq)
			}
		}

		// A 3×3 named kernel on a 5×5 kernel makes the kernel 3×3.
		open(t, "input=6&kernel=5")
		b.Run(t, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("conv-named"); s.value = "sobel-x"; s.dispatchEvent(new Event("change", {bubbles: true})) })()`))
		waitText(t, "output-size", "4×4")
		if got := browsertest.Eval[string](t, b, `window.convlabVisualizer.getState().w.join(",")`); got != "-1,0,1,-2,0,2,-1,0,1" {
			t.Errorf("Sobel x kernel = %s", got)
		}

		// Reflect padding: a copied cell lights up the cell it copies.
		open(t, "preset=reflect&step=7")
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.querySelector('#conv-in-0 td[data-y="0"][data-x="0"]').dispatchEvent(new MouseEvent("mouseover", {bubbles: true}))`))
		// Padded (0,0) copies input (1,1), drawn at padded (2,2).
		if !browsertest.Eval[bool](t, b, `document.querySelector('#conv-in-0 td[data-y="2"][data-x="2"]').classList.contains("srchl")`) {
			t.Error("hovering a reflected cell does not light its source")
		}
		b.Screenshot(t, "reflect-hover")
		// On a touch screen (no hover) a tap does the same.
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.querySelector('#conv-in-0').dispatchEvent(new MouseEvent("mouseleave"))`))
		if browsertest.Eval[bool](t, b, `document.querySelector('#conv-in-0 td[data-y="2"][data-x="2"]').classList.contains("srchl")`) {
			t.Fatal("the source stays lit after the pointer left")
		}
		b.Run(t, chromedp.Evaluate[chromedp.Void](`document.querySelector('#conv-in-0 td[data-y="0"][data-x="0"]').dispatchEvent(new PointerEvent("pointerdown", {bubbles: true, pointerType: "touch"}))`))
		if !browsertest.Eval[bool](t, b, `document.querySelector('#conv-in-0 td[data-y="2"][data-x="2"]').classList.contains("srchl")`) {
			t.Error("tapping a reflected cell does not light its source")
		}
	})

	t.Run("reduced motion", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		defer clean(t, mark, false)
		reduce := func(v string) chromedp.Action[chromedp.Void] {
			return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: v}}})
				return err
			})
		}
		b.Run(t, reduce("reduce"))
		defer b.Run(t, reduce(""))
		open(t, "preset=lesson-5x5")
		if !browsertest.Eval[bool](t, b, `document.getElementById("conv").classList.contains("reduced-motion")`) {
			t.Error("the page did not notice prefers-reduced-motion")
		}
		if got := browsertest.Eval[string](t, b, `getComputedStyle(document.querySelector("#conv-in-0 td")).transitionDuration`); !strings.HasPrefix(got, "0s") && !strings.HasPrefix(got, "1e-05s") {
			t.Errorf("cells still animate: transition-duration %s", got)
		}
		// Nothing plays by itself.
		b.Run(t, chromedp.Sleep(1200*time.Millisecond))
		waitText(t, "step-index", "1 / 9")
	})

	t.Run("phone", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		defer clean(t, mark, false)
		b.Run(t, chromedp.EmulateViewport(390, 1600, chromedp.EmulateMobile))
		open(t, "preset=lesson-5x5&step=5")
		if got := text(t, "current-sum"); got == "" {
			t.Error("no current-sum on a phone")
		}
		b.Screenshot(t, "lesson-5x5")
		open(t, "preset=lesson-mnist&step=60")
		b.Screenshot(t, "mnist")
		b.Run(t, chromedp.EmulateViewport(1280, 1400))
	})

	t.Run("presenter mode, Korean", func(t *testing.T) {
		mark := len(b.ConsoleErrors())
		b.Run(t, chromedp.EmulateViewport(1600, 1000))
		open(t, "preset=lesson-5x5&step=4&present=1&lang=ko")
		if got := browsertest.Eval[string](t, b, `document.getElementById("conv-live").textContent`); !strings.Contains(got, "출력 2행 1열") {
			t.Errorf("narration %q, want the Korean cell name", got)
		}
		b.Screenshot(t, "present-ko")
		b.Run(t, chromedp.EmulateViewport(1280, 1400))
		clean(t, mark, false)
	})
}

// tableTexts returns the texts of the cells of the table with this id in
// server-rendered HTML.
func tableTexts(body, id string) []string {
	start := strings.Index(body, `id="`+id+`"`)
	if start < 0 {
		return nil
	}
	end := strings.Index(body[start:], "</table>")
	var out []string
	for _, m := range regexp.MustCompile(`<td[^>]*>([^<]*)</td>`).FindAllStringSubmatch(body[start:start+end], -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
