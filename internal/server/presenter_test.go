package server

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func presenterServer(t *testing.T, token string) string {
	srv, _ := presenterApp(t, token, nil)
	return srv
}

// presenterApp is presenterServer with a stand-in for "this request comes
// from the server's own machine" (nil: the real loopback test).
func presenterApp(t *testing.T, token string, isLocal func(*http.Request) bool) (string, *app) {
	cfg := defaultConfig()
	cfg.PresenterToken = token
	a, err := newApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if isLocal != nil {
		a.isLocal = isLocal
	}
	e := a.handler()
	e.POST("/api/control", func(c echo.Context) error { return c.JSON(200, map[string]bool{"ok": true}) }, a.requirePresenter())
	return newServer(t, e), a
}

// TestDefaultInstallPresenter: with no token configured, a request from
// the server's machine presents; one from elsewhere needs the token made
// at start (the printed presenter link), and a wrong one is refused.
func TestDefaultInstallPresenter(t *testing.T) {
	remote := func(*http.Request) bool { return false } // every request is "from the LAN"
	srv, a := presenterApp(t, "", remote)
	if a.startToken == "" || len(a.startToken) < 32 {
		t.Fatalf("start token %q", a.startToken)
	}
	resp, body := post(t, srv+"/api/control", "application/json", `{}`)
	if resp.StatusCode != 403 || !strings.Contains(body, "presenter") {
		t.Errorf("a LAN request without the token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, srv+"/api/control", "application/json", `{}`, "Cookie", "presenter="+a.startToken); resp.StatusCode != 200 {
		t.Errorf("a LAN request with the start token: %d", resp.StatusCode)
	}
	if resp, _ := get(t, nil, srv+"/?presenter=guess"); resp.StatusCode != 403 {
		t.Errorf("/?presenter=guess on a default install: %d", resp.StatusCode)
	}
	// The same server, asked from its own machine (the real loopback test):
	a.isLocal = requestIsLocal
	if resp, body := post(t, srv+"/api/control", "application/json", `{}`); resp.StatusCode != 200 {
		t.Errorf("a loopback request: %d %s", resp.StatusCode, body)
	}
	// Two servers make two different tokens.
	_, b := presenterApp(t, "", nil)
	if b.startToken == a.startToken {
		t.Error("the start token is the same in two runs")
	}
}

func TestRequestIsLocal(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5000", true}, {"127.3.2.1:1", true}, {"[::1]:80", true},
		{"192.168.1.20:5000", false}, {"[fe80::1]:80", false}, {"10.0.0.1:1", false}, {"garbage", false},
	} {
		r := &http.Request{RemoteAddr: tc.addr, Header: http.Header{"X-Forwarded-For": {"127.0.0.1"}}}
		if got := requestIsLocal(r); got != tc.want {
			t.Errorf("requestIsLocal(%s) = %v", tc.addr, got)
		}
	}
}

func TestRequirePresenter(t *testing.T) {
	srv := presenterServer(t, "s3cret")
	for _, tc := range []struct {
		name   string
		header []string
		status int
	}{
		{"no token", nil, 403},
		{"wrong header", []string{"X-Presenter-Token", "guess"}, 403},
		{"prefix of the token", []string{"X-Presenter-Token", "s3cre"}, 403},
		{"right header", []string{"X-Presenter-Token", "s3cret"}, 200},
		{"wrong cookie", []string{"Cookie", "presenter=nope"}, 403},
		{"right cookie", []string{"Cookie", "presenter=s3cret"}, 200},
	} {
		resp, body := post(t, srv+"/api/control", "application/json", `{}`, tc.header...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
		if tc.status == 403 && !strings.Contains(body, "only the presenter") {
			t.Errorf("%s: 403 without a message: %s", tc.name, body)
		}
	}
}

func TestRequirePresenterNoTokenConfigured(t *testing.T) {
	// The test's requests come from loopback: the teacher at the server.
	srv := presenterServer(t, "")
	if resp, body := post(t, srv+"/api/control", "application/json", `{}`); resp.StatusCode != 200 {
		t.Errorf("without a configured token the server's machine controls: %d %s", resp.StatusCode, body)
	}
}

func TestPresenterCookieFromHomePage(t *testing.T) {
	srv := presenterServer(t, "s3cret")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, body := get(t, client, srv+"/?presenter=wrong")
	if resp.StatusCode != 403 || !strings.Contains(body, "presenter token is not right") {
		t.Errorf("wrong token on the home page: %d", resp.StatusCode)
	}
	// The right token: a cookie, and a redirect that drops the token from the URL.
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ = get(t, noFollow, srv+"/?presenter=s3cret&lang=ko")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("right token: %d, want 303", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "s3cret") || loc != "/" {
		t.Errorf("redirect to %q, want / without the token", loc)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "presenter" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("presenter cookie %+v, want HttpOnly SameSite=Strict", ck)
	}
	if _, body = get(t, client, srv+"/"); strings.Contains(body, "s3cret") {
		t.Errorf("the page shows the token")
	}
	req, _ := http.NewRequest(http.MethodPost, srv+"/api/control", strings.NewReader(`{}`))
	r2, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 {
		t.Errorf("control with the cookie: %d", r2.StatusCode)
	}
}

func TestTokenEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"abc", "abc", true}, {"abc", "abd", false}, {"abc", "abcd", false}, {"", "", true}, {"", "x", false}} {
		if got := tokenEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("tokenEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
