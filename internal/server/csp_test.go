package server

import (
	"regexp"
	"strings"
	"testing"
)

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineStyle = regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle=`)
	handlerAttr = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+=`)
	jsURL       = regexp.MustCompile(`(?i)(href|src|action)="\s*javascript:`)
)

// TestNoInlineCodeOnAnyPage checks every page (both languages, presenter
// mode, an error page) for what the Content-Security-Policy would block:
// inline scripts, style="" attributes, <style> blocks, on…= handlers and
// javascript: URLs. Browsers enforce the CSP; this finds a slip without one.
func TestNoInlineCodeOnAnyPage(t *testing.T) {
	_, srv := newTestServer(t)
	pages := []string{
		"/", "/conv", "/conv?preset=lesson-5x5", "/conv?preset=lesson-mnist", "/conv?input=7&kernel=3&stride=2&padding=1",
		"/conv?input=999", "/conv/backward?preset=lesson-5x5&phase=dx", "/lesson", "/lesson/3", "/lesson/5", "/lesson?follow=1", "/lesson/99", "/animations", "/train", "/draw", "/quiz", "/network", "/network?layer=linear&c=3", "/conv/pool?preset=avg-padding&step=2", "/conv/pool?op=bad", "/no-such-page",
	}
	for _, p := range pages {
		for _, q := range []string{"lang=en", "lang=ko&present=1"} {
			url := p
			if strings.Contains(url, "?") {
				url += "&" + q
			} else {
				url += "?" + q
			}
			resp, body := get(t, nil, srv.URL+url)
			if resp.StatusCode >= 500 {
				t.Errorf("GET %s = %d", url, resp.StatusCode)
				continue
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				continue
			}
			for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
				attrs, code := m[1], strings.TrimSpace(m[2])
				isJSON := strings.Contains(attrs, `type="application/json"`)
				if code != "" && !isJSON {
					t.Errorf("GET %s: inline script: %.120s", url, m[0])
				}
				if !isJSON && !strings.Contains(attrs, `type="module"`) {
					t.Errorf("GET %s: a script that is not an ES module: %.120s", url, m[0])
				}
			}
			for name, re := range map[string]*regexp.Regexp{"style attribute": inlineStyle, "event handler attribute": handlerAttr, "javascript: URL": jsURL} {
				if loc := re.FindStringIndex(body); loc != nil {
					t.Errorf("GET %s: %s: %.120s", url, name, body[loc[0]:])
				}
			}
			if strings.Contains(strings.ToLower(body), "<style") {
				t.Errorf("GET %s: a <style> block", url)
			}
		}
	}
}

var staticRef = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// TestEveryStaticReferenceIsServed: each asset a page links to exists,
// with the right content type (a stylesheet served as HTML is refused by
// the browser under nosniff).
func TestEveryStaticReferenceIsServed(t *testing.T) {
	_, srv := newTestServer(t)
	seen := map[string]bool{}
	for _, p := range []string{"/", "/conv", "/conv?preset=lesson-mnist&present=1", "/conv/backward?preset=lesson-5x5", "/lesson", "/lesson/2", "/animations", "/train", "/draw", "/quiz", "/network?layer=conv2&c=1&y=2&x=3"} {
		_, body := get(t, nil, srv.URL+p)
		for _, m := range staticRef.FindAllStringSubmatch(body, -1) {
			u := strings.ReplaceAll(m[1], "&amp;", "&")
			if seen[u] {
				continue
			}
			seen[u] = true
			resp, _ := get(t, nil, srv.URL+u)
			ct := resp.Header.Get("Content-Type")
			path, _, _ := strings.Cut(u, "?")
			want := ""
			switch {
			case strings.HasSuffix(path, ".css"):
				want = "text/css"
			case strings.HasSuffix(path, ".js"):
				want = "text/javascript"
			}
			if resp.StatusCode != 200 || !strings.HasPrefix(ct, want) {
				t.Errorf("%s (linked from %s): %d %s, want 200 %s", u, p, resp.StatusCode, ct, want)
			}
		}
	}
	if len(seen) < 5 {
		t.Errorf("only %d static references found: %v", len(seen), seen)
	}
}

var jsImport = regexp.MustCompile(`(?m)^\s*import\b[^"'\n]*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)`)

// TestPageWeight: our own CSS and JavaScript for each page, with every
// module it imports, stays under 100 KB (issue 3's budget for the whole
// app per page). It prints each page's weight.
func TestPageWeight(t *testing.T) {
	const budget = 100 << 10
	_, srv := newTestServer(t)
	for _, p := range []string{"/", "/conv", "/conv/backward?preset=lesson-5x5", "/lesson", "/lesson/2", "/animations", "/train", "/draw", "/quiz", "/network"} {
		_, body := get(t, nil, srv.URL+p)
		seen := map[string]bool{}
		var queue []string
		for _, m := range staticRef.FindAllStringSubmatch(body, -1) {
			u, _, _ := strings.Cut(strings.ReplaceAll(m[1], "&amp;", "&"), "?")
			if strings.HasSuffix(u, ".css") || strings.HasSuffix(u, ".js") {
				queue = append(queue, u)
			}
		}
		total := 0
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			if seen[u] {
				continue
			}
			seen[u] = true
			resp, src := get(t, nil, srv.URL+u)
			if resp.StatusCode != 200 {
				t.Errorf("%s: %s answers %d", p, u, resp.StatusCode)
				continue
			}
			total += len(src)
			if strings.HasSuffix(u, ".js") {
				for _, m := range jsImport.FindAllStringSubmatch(src, -1) {
					dep := m[1] + m[2]
					if strings.HasPrefix(dep, "./") {
						dep = u[:strings.LastIndex(u, "/")+1] + dep[2:]
					}
					if strings.HasPrefix(dep, "/static/") {
						queue = append(queue, dep)
					}
				}
			}
		}
		t.Logf("%-12s %6.1f KB in %d files", p, float64(total)/1024, len(seen))
		if total > budget {
			t.Errorf("%s: our CSS+JS weigh %d bytes, over the %d budget", p, total, budget)
		}
	}
}
