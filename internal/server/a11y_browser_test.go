package server

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
)

// axeDir holds the vendored axe-core (scripts/vendor_axe.sh). It is not
// embedded in the binary: only this test reads it and injects it into the
// page through the DevTools protocol, so users never download it and the
// page's CSP is not involved.
var axeDir = filepath.Join("..", "..", "static", "vendor", "axe-core")

// readAxe returns axe.min.js after checking it against the checksum
// recorded when it was vendored (VERSION: version, npm integrity of the
// package, sha256 of axe.min.js).
func readAxe(t testing.TB) (src, version string) {
	t.Helper()
	f, err := os.Open(filepath.Join(axeDir, "VERSION"))
	if err != nil {
		t.Fatalf("axe-core not vendored: %v (run scripts/vendor_axe.sh)", err)
	}
	defer f.Close()
	rec := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " = "); ok && !strings.HasPrefix(k, "#") {
			rec[k] = v
		}
	}
	if rec["version"] == "" || !strings.HasPrefix(rec["npm_integrity"], "sha512-") || len(rec["axe.min.js sha256"]) != 64 {
		t.Fatalf("static/vendor/axe-core/VERSION lacks version, npm_integrity or the sha256: %v", rec)
	}
	b, err := os.ReadFile(filepath.Join(axeDir, "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != rec["axe.min.js sha256"] {
		t.Fatalf("axe.min.js sha256 %s, VERSION records %s: the vendored file changed", got, rec["axe.min.js sha256"])
	}
	if !strings.Contains(string(b[:200]), "axe v"+rec["version"]) {
		t.Fatalf("axe.min.js is not version %s", rec["version"])
	}
	return string(b), rec["version"]
}

// TestAxeVendored holds the vendored file to its recorded checksum (runs
// under -short too).
func TestAxeVendored(t *testing.T) {
	_, v := readAxe(t)
	t.Logf("axe-core %s", v)
}

type axeNode struct {
	Target  []string `json:"target"`
	HTML    string   `json:"html"`
	Summary string   `json:"failureSummary"`
}

type axeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

// a11yPages are audited in both languages (the follow and presenter views
// of /conv included).
var a11yPages = []struct{ path, ready string }{
	{"/", ""},
	{"/conv?preset=lesson-5x5", `document.querySelector("#conv.js")`},
	{"/conv?preset=channels&step=5", `document.querySelector("#conv.js")`},
	{"/conv?preset=lesson-mnist", `document.querySelector("#conv.js")`},
	{"/conv?preset=stride&present=1", `document.querySelector("#conv.js")`},
	{"/conv?follow=1", `document.querySelector("#conv.js")`},
	{"/conv?input=3&kernel=5", `document.querySelector("#conv.js")`}, // an error shown on the page
	{"/conv/backward?preset=lesson-5x5&phase=dx&grad=random", `document.getElementById("backward").dataset.ready === "1"`},
	{"/animations", ""},
	{"/train", ""},
	{"/draw", ""},
	{"/quiz?kind=size&seed=1", ""},
	{"/quiz?kind=cell&seed=2&answer=1", ""},
	{"/quiz?kind=padding&seed=3", ""},
	{"/lesson", ""},
	{"/lesson/2", `window.convlabVisualizer`},
	{"/lesson/5", ""},
	{"/lesson/7?present=1", `window.convlabVisualizer && document.querySelector("#conv.fitted")`},
	{"/conv?preset=channels&step=5&present=1", `document.querySelector("#conv.fitted")`},
	{"/lesson?follow=1", ""},
	{"/no-such-page", ""},
	// Presenter mode on a projector (the projector branch): the digit as a
	// heat map, a lesson stop with "Lead the class" beside its title.
	{"/conv?preset=lesson-mnist&step=164&present=1", `document.querySelector("#conv-stage.heat")`},
	{"/lesson/1?present=1", ""},
}

// explorerA11yPages are the network explorer's and the pooling
// visualizer's pages, audited by a browser of their own
// (TestAccessibilityAuditExplorer) so that one Browser's time limit is not
// shared by too many pages on a loaded machine.
var explorerA11yPages = []struct{ path, ready string }{
	{"/network", `document.querySelector("#network").dataset.busy === "0"`},
	{"/network?layer=conv2&c=5&y=7&x=7&step=2", `document.querySelector("#network").dataset.busy === "0"`},
	{"/network?layer=linear&c=7", `document.querySelector("#network").dataset.busy === "0"`},
	{"/network?layer=softmax&c=7&present=1", `document.querySelector("#network").dataset.busy === "0"`},
	{"/network?present=1", `document.querySelector("#network").dataset.busy === "0"`},
	{"/network?layer=pool1&c=3&y=5&x=5", `document.querySelector("#network").dataset.busy === "0"`},
	{"/conv/pool?preset=max&step=5", ""},
	{"/conv/pool?preset=avg-padding&present=1", ""},
}

// TestAccessibilityAuditExplorer is TestAccessibilityAudit for
// explorerA11yPages.
func TestAccessibilityAuditExplorer(t *testing.T) {
	if testing.Short() {
		t.Skip("browser accessibility audit: -short")
	}
	auditPages(t, explorerA11yPages)
}

// TestAccessibilityAudit runs axe-core (WCAG 2.1 A/AA and best practices)
// over every page in English and Korean, in real Chromium after the
// page's scripts ran, and fails on serious or critical violations. In
// Korean it also looks for English text put in by scripts (the server
// side is TestPagesInKorean).
func TestAccessibilityAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("browser accessibility audit: -short")
	}
	auditPages(t, a11yPages)
}

// auditPages is the audit of TestAccessibilityAudit over pages, in one browser.
func auditPages(t *testing.T, pages []struct{ path, ready string }) {
	axe, version := readAxe(t)
	_, srv := newTestServer(t)
	t.Logf("axe-core %s", version)

	// One browser per language: each stays well inside browsertest.Timeout
	// even on a slow machine (axe over the MNIST page's 676 steps is heavy).
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			b := browsertest.New(t)
			for _, pg := range pages {
				sep := "?"
				if strings.Contains(pg.path, "?") {
					sep = "&"
				}
				url := srv.URL + pg.path + sep + "lang=" + lang
				b.Run(t, chromedp.Navigate(url))
				b.Wait(t, `document.readyState === "complete"`)
				if pg.ready != "" {
					b.Wait(t, pg.ready)
				}
				if !browsertest.Eval[bool](t, b, `typeof axe === "object"`) {
					// Inject axe; on failure say so without printing its 600 KB source.
					if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](axe+"\n;true")); err != nil {
						t.Fatalf("%s: injecting axe-core: %v", url, err)
					}
				}
				vs, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {
				runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
				resultTypes: ["violations"],
			}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
				nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.map(String), html: n.html.slice(0, 200), failureSummary: n.failureSummary}))})))`, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("%s: axe.run: %v", pg.path, err)
				}
				for _, v := range vs {
					msg := fmt.Sprintf("%s (%s) [%s]: %s", pg.path, lang, v.Impact, v.ID+": "+v.Help)
					for _, n := range v.Nodes {
						msg += fmt.Sprintf("\n\t%v %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", " "))
					}
					if v.Impact == "serious" || v.Impact == "critical" {
						t.Error(msg)
					} else {
						t.Log(msg)
					}
				}
				if lang == "ko" {
					texts := browsertest.Eval[[]string](t, b, `(() => {
					const out = [];
					const skip = ["SCRIPT", "STYLE", "CODE", "KBD", "OPTION", "TEMPLATE"];
					const walk = (n) => {
						if (n.nodeType === 1) {
							if (skip.includes(n.tagName) || (n.hasAttribute("lang") && n !== document.documentElement)) return;
							for (const a of ["aria-label", "title", "alt", "placeholder"]) if (n.hasAttribute(a)) out.push(n.getAttribute(a));
						}
						if (n.nodeType === 3 && n.textContent.trim()) out.push(n.textContent.trim());
						for (const c of n.childNodes) walk(c);
					};
					walk(document.body);
					return out;
				})()`)
					var english []string
					for _, s := range texts {
						for _, run := range englishRun.FindAllString(s, -1) {
							if !allowedLatin.MatchString(run) && !strings.Contains(paperTitle, run) {
								english = append(english, run)
							}
						}
					}
					if len(english) > 0 {
						t.Errorf("%s in Korean, after its scripts ran, shows English: %q", pg.path, english)
					}
				}
			}
			if errs := b.ConsoleErrors(); len(errs) > 0 {
				for _, e := range errs {
					// The error page answers 404, and /conv?input=3&kernel=5 is refused (400).
					if strings.Contains(e, "404") || strings.Contains(e, "400") {
						continue
					}
					t.Errorf("console error: %s", e)
				}
			}
		})
	}
}

// TestKeyboardFocusVisible: Tab reaches every control of /conv and /quiz
// in order, and each one shows a visible focus ring; "?" opens the
// keyboard shortcuts on /conv, and Escape closes them.
func TestKeyboardFocusVisible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser keyboard test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, path := range []string{"/conv?preset=lesson-5x5&lang=en", "/quiz?kind=padding&seed=3&lang=en", "/?lang=en", "/animations?lang=en", "/train?lang=en", "/draw?lang=ko"} {
		b.Run(t, chromedp.Navigate(srv.URL+path))
		b.Wait(t, `document.readyState === "complete"`)
		seen := map[string]bool{}
		for i := 0; i < 80; i++ {
			b.Run(t, chromedp.KeyEvent(kb.Tab))
			type focus struct {
				Desc    string `json:"desc"`
				Visible bool   `json:"visible"`
				Body    bool   `json:"body"`
			}
			f := browsertest.Eval[focus](t, b, `(() => {
				const e = document.activeElement;
				if (!e || e === document.body) return {body: true};
				const s = getComputedStyle(e);
				const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none";
				const id = e.id ? "#" + e.id : "";
				return {desc: e.tagName.toLowerCase() + id + " " + (e.getAttribute("aria-label") || e.textContent || "").trim().slice(0, 30), visible: ring && e.matches(":focus-visible")};
			})()`)
			if f.Body {
				break
			}
			if seen[f.Desc] && strings.HasPrefix(f.Desc, "a") {
				break // wrapped around
			}
			seen[f.Desc] = true
			if !f.Visible {
				t.Errorf("%s: focused %q shows no focus ring", path, f.Desc)
			}
		}
		t.Logf("%s: Tab reached %d controls, each with a focus ring", path, len(seen))
		if len(seen) < 5 {
			t.Errorf("%s: Tab reached only %d controls", path, len(seen))
		}
	}
	// The shortcut help opens with "?" and closes with Escape.
	b.Run(t, chromedp.Navigate(srv.URL+"/conv?lang=ko"))
	b.Wait(t, `document.querySelector("#conv.js") !== null`)
	b.Run(t, chromedp.KeyEvent("?"))
	b.Wait(t, `document.getElementById("class-shortcuts").open`)
	if got := browsertest.Eval[string](t, b, `document.activeElement.textContent`); got != "단축키" {
		t.Errorf("after ?, focus is on %q, want the shortcuts summary", got)
	}
	b.Run(t, chromedp.KeyEvent(kb.Escape))
	b.Wait(t, `!document.getElementById("class-shortcuts").open`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// TestNarration: the visualizer's aria-live region says each step in words
// in the page's language, products and sum included, as the steps change.
func TestNarration(t *testing.T) {
	if testing.Short() {
		t.Skip("browser narration test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	live := `document.getElementById("conv-live")`
	for _, tc := range []struct{ lang, first, second string }{
		{"en", "Output row 1, column 1: 1×1 + 2×0 + 3×1 + 0×0 + 1×1 + 5×0 + 1×1 + 0×0 + 2×1 = 8", "Output row 1, column 2: "},
		{"ko", "출력 1행 1열: 1×1 + 2×0 + 3×1 + 0×0 + 1×1 + 5×0 + 1×1 + 0×0 + 2×1 = 8", "출력 1행 2열: "},
	} {
		b.Run(t, chromedp.Navigate(srv.URL+"/conv?preset=lesson-5x5&lang="+tc.lang))
		b.Wait(t, `document.querySelector("#conv.js") !== null`)
		if got := browsertest.Eval[string](t, b, live+`.textContent`); got != tc.first {
			t.Errorf("%s: narration %q, want %q", tc.lang, got, tc.first)
		}
		if got := browsertest.Eval[string](t, b, live+`.getAttribute("aria-live")`); got != "polite" {
			t.Errorf("%s: aria-live=%q", tc.lang, got)
		}
		b.Run(t, chromedp.KeyEvent(kb.ArrowRight))
		b.Wait(t, live+`.textContent.startsWith(`+jsString(tc.second)+`)`)
		sum := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="current-sum"]').textContent.trim()`)
		if got := browsertest.Eval[string](t, b, live+`.textContent`); !strings.HasSuffix(got, " = "+sum) || strings.Count(got, "×") != 9 {
			t.Errorf("%s: step 2 narration %q: want 9 products and = %s", tc.lang, got, sum)
		}
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
