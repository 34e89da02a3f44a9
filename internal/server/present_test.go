package server

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestPresenterModeRemembered: ?present=1 turns presenter mode on for the
// following pages too (a cookie), even through links and forms that do
// not carry the parameter; the footer link (?present=0) turns it off.
func TestPresenterModeRemembered(t *testing.T) {
	_, srv := newTestServer(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	present := func(body string) bool { return strings.Contains(body, `<body class="present"`) }

	if _, body := get(t, client, srv.URL+"/conv?present=1&lang=en"); !present(body) || !strings.Contains(body, `href="/conv?present=0"`) {
		t.Fatalf("?present=1: not in presenter mode, or no way out")
	}
	for _, path := range []string{"/", "/conv?preset=stride", "/animations", "/train", "/draw", "/quiz"} {
		if _, body := get(t, client, srv.URL+path); !present(body) {
			t.Errorf("%s after ?present=1: not in presenter mode", path)
		}
	}
	// The language switch keeps it too.
	if _, body := get(t, client, srv.URL+"/conv?lang=ko"); !present(body) {
		t.Errorf("switching language left presenter mode")
	}
	if _, body := get(t, client, srv.URL+"/conv?present=0"); present(body) {
		t.Errorf("?present=0 did not turn presenter mode off")
	}
	if _, body := get(t, client, srv.URL+"/train"); present(body) {
		t.Errorf("presenter mode came back after ?present=0")
	}
	// Another browser (no cookie) is not in presenter mode.
	if _, body := get(t, nil, srv.URL+"/conv"); present(body) {
		t.Errorf("presenter mode without asking")
	}
}
