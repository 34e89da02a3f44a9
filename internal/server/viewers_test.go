package server

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// openStream opens an event stream and reads up to its first line (the
// server has admitted it); the stream stays open until cancel.
func openStream(t *testing.T, ctx context.Context, client *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatalf("reading %s: %v", url, err)
	}
	return resp, line
}

// Event streams (training and follow-along together) are capped: over
// -max-viewers, 503 with a message; a closed stream frees its place.
func TestViewerCap(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxViewers = 3
	_, srv := newTestServerConfig(t, cfg)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sctx, closeFirst := context.WithCancel(ctx)
	first, _ := openStream(t, sctx, client, srv.URL+"/api/train/events")
	openStream(t, ctx, client, srv.URL+"/api/follow/events")
	openStream(t, ctx, client, srv.URL+"/api/train/events")
	for _, tc := range []struct{ path, lang, want string }{
		{"/api/follow/events", "en", "at most 3"},
		{"/api/train/events", "ko", "최대 3개"},
	} {
		resp, body := openStream(t, ctx, client, srv.URL+tc.path, "Accept-Language", tc.lang)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, tc.want) {
			t.Errorf("%s over the cap: %d Retry-After %q %s", tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	closeFirst()
	first.Body.Close()
	waitFor(t, func() bool {
		resp, _ := openStream(t, ctx, client, srv.URL+"/api/follow/events")
		return resp.StatusCode == http.StatusOK
	}, "a place after a viewer left")
}

// A class of 300 fits under the default cap.
func TestViewerCapFitsAClass(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 300 streams")
	}
	a, srv := newTestServer(t)
	if a.cfg.MaxViewers < 300 {
		t.Fatalf("default -max-viewers %d is under a class of 300", a.cfg.MaxViewers)
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 400}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 300 {
		path := "/api/follow/events"
		if i%2 == 0 {
			path = "/api/train/events"
		}
		if resp, body := openStream(t, ctx, client, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Fatalf("viewer %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
}
