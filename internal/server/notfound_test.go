package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A 404 page says the page was not found, not "Something went wrong",
// which sounds like a crash (QA finding 18); a real error keeps its title.
func TestNotFoundTitle(t *testing.T) {
	_, srv := newTestServer(t)
	h1 := regexp.MustCompile(`(?s)<h1[^>]*>(.*?)</h1>`)
	title := regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	for _, tc := range []struct{ path, want, not string }{
		{"/lesson/0?lang=en", "Page not found", "went wrong"},
		{"/lesson/abc?lang=en", "Page not found", "went wrong"},
		{"/no-such-page?lang=en", "Page not found", "went wrong"},
		{"/lesson/0?lang=ko", "페이지를 찾을 수 없습니다", "문제가 생겼습니다"},
	} {
		resp, body := get(t, nil, srv.URL+tc.path)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: status %d, want 404", tc.path, resp.StatusCode)
		}
		for _, re := range []*regexp.Regexp{h1, title} {
			m := re.FindStringSubmatch(body)
			if m == nil || !strings.Contains(m[1], tc.want) || strings.Contains(m[1], tc.not) {
				t.Errorf("%s: %v, want %q", tc.path, m, tc.want)
			}
		}
	}
}
