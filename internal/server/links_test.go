package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSameSiteLink(t *testing.T) {
	for _, tc := range []struct {
		path string
		q    url.Values
		want string
	}{
		{"/conv", nil, "/conv"},
		{"/conv", url.Values{"preset": {"edge"}}, "/conv?preset=edge"},
		{"/", nil, "/"},
		{"/animations/", nil, "/animations/"},
		{"//evil.example/x", nil, "/"},
		{"/a//evil.example", nil, "/"},
		{"/a/../../evil", nil, "/evil"},
		{"/\t/evil.example/x", nil, "/"},
		{"/\x7f/evil.example", nil, "/"},
		{"/\u0085/evil.example", nil, "/"}, // C1 control (NEL)
		{"/\r\n/x", nil, "/"},
		{"/\x00", nil, "/"},
		{"/\\evil.example", nil, "/"},
		{"evil.example", nil, "/"},
		{"", nil, "/"},
		{"/\xff", nil, "/"},
		{"/a b?#", nil, "/a%20b%3F%23"},
		{"/%09", nil, "/%2509"}, // a decoded path holding "%09" stays text
	} {
		got := sameSiteLink(tc.path, tc.q)
		if got != tc.want {
			t.Errorf("sameSiteLink(%q, %v) = %q, want %q", tc.path, tc.q, got, tc.want)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("sameSiteLink(%q) = %q is not a same-site path", tc.path, got)
		}
	}
}

// A control character in the path must not reach the page's links:
// browsers strip TAB, so href="/\t/evil.example/x" leaves the site.
func TestLinksRefuseControlCharacters(t *testing.T) {
	_, srv := newTestServer(t)
	href := regexp.MustCompile(`href="([^"]*)"`)
	for _, p := range []string{"/%09/evil.example/x", "/%0a/evil.example/x", "/%7f/evil.example/x", "/%C2%85/evil.example/x"} {
		resp, body := get(t, nil, srv.URL+p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
		for _, m := range href.FindAllStringSubmatch(body, -1) {
			h := m[1]
			if strings.Contains(h, "evil.example") || strings.ContainsAny(h, "\t\n\r\x7f\u0085") {
				t.Errorf("GET %s: the page links to %q", p, h)
			}
		}
	}
}
