package server

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/convlab/convlab/static"
	"github.com/labstack/echo/v4"
)

func TestHealthz(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/healthz")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("GET /healthz = %d %q", resp.StatusCode, body)
	}
}

func TestHeadIsLikeGet(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range []string{"/", "/healthz", "/static/css/app.css"} {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("HEAD %s = %d", path, resp.StatusCode)
		}
	}
	// Not for the APIs: a HEAD must never open an event stream.
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/api/train/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /api/train/events = %d, want 405", resp.StatusCode)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range []string{"/", "/healthz", "/conv", "/no-such-page", "/static/css/app.css", "/api/nothing"} {
		resp, _ := get(t, nil, srv.URL+path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

func TestPagesRenderLayout(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ path, active string }{
		{"/", ""}, {"/conv", "/conv"}, {"/animations", "/animations"}, {"/train", "/train"}, {"/draw", "/draw"},
	} {
		resp, body := get(t, nil, srv.URL+tc.path)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", tc.path, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		for _, want := range []string{`<main id="main"`, `href="#main"`, `href="/conv"`, `href="/animations"`, `href="/train"`, `href="/draw"`, "/static/css/app.css?v=" + static.Hash("css/app.css")} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: body lacks %q", tc.path, want)
			}
		}
		n := strings.Count(body, `aria-current="page"`)
		if tc.active == "" && n != 0 || tc.active != "" && (n != 1 || !strings.Contains(body, `href="`+tc.active+`" aria-current="page"`)) {
			t.Errorf("GET %s: aria-current marks %d items, want the %q link", tc.path, n, tc.active)
		}
		if strings.Contains(body, "style=") || strings.Contains(body, "<style") || strings.Contains(body, " onclick=") {
			t.Errorf("GET %s: inline style or handler in the page (CSP forbids it)", tc.path)
		}
	}
}

func TestLanguageSelection(t *testing.T) {
	_, srv := newTestServer(t)
	const en, ko = "Learn convolution by watching it", "합성곱을 눈으로 보며 배우기"

	_, body := get(t, nil, srv.URL+"/")
	if !strings.Contains(body, en) || !strings.Contains(body, `<html lang="en"`) {
		t.Errorf("default page is not English")
	}
	_, body = get(t, nil, srv.URL+"/", "Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
	if !strings.Contains(body, ko) || !strings.Contains(body, `<html lang="ko"`) {
		t.Errorf("Accept-Language ko did not give Korean")
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, body := get(t, client, srv.URL+"/conv?lang=ko&x=1")
	if !strings.Contains(body, `<html lang="ko"`) {
		t.Errorf("?lang=ko did not give Korean")
	}
	var saw bool
	for _, c := range resp.Cookies() {
		saw = saw || c.Name == "lang" && c.Value == "ko"
	}
	if !saw {
		t.Errorf("?lang=ko set no lang cookie")
	}
	// The language links keep the path and the other parameters.
	if !strings.Contains(body, `href="/conv?lang=en&amp;x=1"`) {
		t.Errorf("language link does not keep the path: %s", body[strings.Index(body, "lang-switch"):][:400])
	}
	// The cookie is remembered, and beats Accept-Language.
	_, body = get(t, client, srv.URL+"/", "Accept-Language", "en")
	if !strings.Contains(body, ko) {
		t.Errorf("lang cookie not honoured")
	}
	if v := strings.Join(resp.Header.Values("Vary"), ", "); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Cookie") {
		t.Errorf("Vary = %q, want Accept-Language and Cookie", v)
	}
	// An unknown language falls back, without a cookie.
	resp, body = get(t, nil, srv.URL+"/?lang=xx")
	if !strings.Contains(body, en) || len(resp.Cookies()) != 0 {
		t.Errorf("?lang=xx: want English and no cookie")
	}
}

func TestLanguageLinksStayOnThisHost(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range []string{"//evil.example/x", "/%2F%2Fevil.example", "/a%5Cb"} {
		_, body := get(t, nil, srv.URL+path)
		if strings.Contains(body, `href="//`) || strings.Contains(body, `evil.example?`) || strings.Contains(body, `\`) {
			t.Errorf("GET %s: a link leaves the site: %s", path, body[strings.Index(body, "lang-switch"):][:300])
		}
	}
}

func TestPresenterModeClass(t *testing.T) {
	_, srv := newTestServer(t)
	_, body := get(t, nil, srv.URL+"/conv?present=1")
	if !strings.Contains(body, `<body class="present"`) {
		t.Errorf("?present=1 does not set the present class")
	}
	if !strings.Contains(body, `href="/train?present=1"`) {
		t.Errorf("nav links drop presenter mode")
	}
	_, body = get(t, nil, srv.URL+"/conv")
	if strings.Contains(body, `class="present"`) {
		t.Errorf("present class without ?present=1")
	}
}

func TestNotFound(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/no-such-page")
	if resp.StatusCode != 404 || !strings.Contains(body, "There is no page at this address.") || !strings.Contains(body, `<main id="main"`) {
		t.Errorf("GET /no-such-page = %d, want 404 page in the layout", resp.StatusCode)
	}
	resp, body = get(t, nil, srv.URL+"/api/nothing")
	if resp.StatusCode != 404 || !strings.HasPrefix(body, `{"error":`) {
		t.Errorf("GET /api/nothing = %d %q, want a JSON 404", resp.StatusCode, body)
	}
}

func TestStaticAssets(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/static/css/app.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "--blue: #0072B2") {
		t.Fatalf("app.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=300") {
		t.Errorf("unversioned Cache-Control = %q", cc)
	}
	etag := resp.Header.Get("ETag")
	resp, _ = get(t, nil, srv.URL+"/static/css/app.css", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, _ = get(t, nil, srv.URL+static.URL("/static/css/app.css"))
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned Cache-Control = %q", cc)
	}
	resp, _ = get(t, nil, srv.URL+"/static/js/i18n.js")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("i18n.js Content-Type %q", ct)
	}
	for _, p := range []string{"/static/", "/static/css", "/static/../app.go", "/static/css/nope.css", "/static/%2e%2e/embed.go"} {
		if resp, _ := get(t, nil, srv.URL+p); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestPanicBecomesFriendly500(t *testing.T) {
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := a.handler()
	e.GET("/boom", func(echo.Context) error { panic("secret detail") })
	e.GET("/api/boom", func(echo.Context) error { panic("secret detail") })
	srv := newServer(t, e)
	resp, body := get(t, nil, srv+"/boom")
	if resp.StatusCode != 500 || strings.Contains(body, "secret") || !strings.Contains(body, "something went wrong") {
		t.Errorf("page panic: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, nil, srv+"/api/boom")
	if resp.StatusCode != 500 || strings.Contains(body, "secret") || !strings.HasPrefix(body, `{"error":`) {
		t.Errorf("API panic: %d %q", resp.StatusCode, body)
	}
	// The server still answers.
	if resp, _ := get(t, nil, srv+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("after a panic /healthz = %d", resp.StatusCode)
	}
}

func TestBodyLimit(t *testing.T) {
	cfg := defaultConfig()
	cfg.BodyLimit = 100
	a, err := newApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := a.handler()
	e.POST("/api/echo", func(c echo.Context) error {
		var v any
		if err := readJSON(c, &v); err != nil {
			return err
		}
		return c.JSON(200, v)
	})
	srv := newServer(t, e)
	resp, _ := post(t, srv+"/api/echo", "application/json", `[1,2,3]`)
	if resp.StatusCode != 200 {
		t.Errorf("small body: %d", resp.StatusCode)
	}
	big := "[" + strings.Repeat("1,", 100) + "1]"
	resp, body := post(t, srv+"/api/echo", "application/json", big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large") {
		t.Errorf("big body: %d %q", resp.StatusCode, body)
	}
}
