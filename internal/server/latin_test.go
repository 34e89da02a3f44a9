package server

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"
)

// koPages are the pages checked for Latin-only text in Korean: every
// page, the visualizer's presets and every stop of the lesson.
func koPages() []string {
	pages := append([]string{}, i18nPages...)
	pages = append(pages, "/conv?preset=zero-padding", "/conv?preset=reflect", "/conv?preset=lesson-mnist",
		"/conv?preset=channels", "/conv?follow=1", "/lesson?follow=1", "/animations?input=3&kernel=5")
	return pages
}

// latinNames are names that stay as they are in Korean text.
var latinNames = map[string]bool{
	"convlab": true, "PyTorch": true, "MNIST": true, "ReLU": true, "SGD": true, "Adam": true,
	"GIF": true, "CS231n": true, "Dumoulin": true, "Visin": true, "CNN": true, "QR": true,
	"Enter": true, "Space": true, "Esc": true, "Tab": true, "Shift": true, "End": true, "Home": true,
	"Page": true, "Down": true, "Up": true, // key names
	"x": true, "k": true, "p": true, "s": true, "d": true, "i": true, "o": true, "a": true, // formula letters
}

var latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_]*`)

// codeLike is text that is code: a call (nn.MaxPool2d(kernel_size=2)) or
// an index (weight[0, 0, 1, 2]).
var codeLike = regexp.MustCompile(`^[A-Za-z_][\w.]*(?:\(.*\)|\[[\d, ]*\])$`)

// latinOnly reports whether s has Latin letters and no Hangul, and a
// word that is not a name, a symbol of a formula (one or two letters:
// w, dX, lr) or an identifier (conv1, kernel_size), unless it is code.
func latinOnly(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) || codeLike.MatchString(s) {
		return false
	}
	for _, w := range latinWord.FindAllString(s, -1) {
		if !latinNames[w] && len(w) > 2 && !strings.ContainsAny(w, "0123456789_") {
			return true
		}
	}
	return false
}

// visibleWithOptions is what a reader sees or hears, option labels
// included; code (code, kbd, pre, samp, .mono), scripts and text in
// another language (lang=) are left out.
func visibleWithOptions(t *testing.T, page string) []string {
	return visibleTextSkipping(t, page, func(n *html.Node) bool {
		switch n.Data {
		case "script", "style", "code", "kbd", "pre", "samp", "template":
			return true
		}
		for _, a := range n.Attr {
			if a.Key == "class" && strings.Contains(" "+a.Val+" ", " mono ") {
				return true
			}
		}
		return hasLangAttr(n)
	})
}

// TestNoLatinOnlyTextInKorean: on ?lang=ko pages no visible text (option
// labels, alt and aria-label texts included) is Latin only, except names
// (PyTorch, MNIST, …) and code (nn.Conv2d(...), in <code>).
func TestNoLatinOnlyTextInKorean(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range koPages() {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		_, body := get(t, nil, srv.URL+path+sep+"lang=ko")
		var bad []string
		seen := map[string]bool{}
		for _, s := range visibleWithOptions(t, body) {
			if latinOnly(s) && !seen[s] {
				seen[s] = true
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s in Korean shows Latin-only text: %q", path, bad)
		}
	}
}

// optionLabels lists the <option> texts of a page, in order.
func optionLabels(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			out = append(out, strings.TrimSpace(b.String()))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// TestOptionLabelsTranslated: every option label with words goes through
// the catalogue: the Korean page's label differs from the English one,
// unless it is only numbers and signs (1×, 0.5×, —), a name (Adam) or an
// identifier (conv1).
func TestOptionLabelsTranslated(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range []string{"/conv", "/conv?preset=reflect", "/train", "/draw", "/animations", "/quiz?kind=padding&seed=3", "/network", "/network?model=untrained"} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		_, en := get(t, nil, srv.URL+path+sep+"lang=en")
		_, ko := get(t, nil, srv.URL+path+sep+"lang=ko")
		le, lk := optionLabels(t, en), optionLabels(t, ko)
		if len(le) != len(lk) {
			t.Errorf("%s: %d options in English, %d in Korean", path, len(le), len(lk))
			continue
		}
		for i := range le {
			// Only numbers and signs (1×), names (Adam) and identifiers
			// (conv1) may read the same.
			if le[i] == lk[i] && latinOnly(le[i]) {
				t.Errorf("%s: option %q is the same in Korean", path, le[i])
			}
		}
	}
}
