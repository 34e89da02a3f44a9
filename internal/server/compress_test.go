package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func gunzip(t *testing.T, s string) string {
	t.Helper()
	r, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return string(b)
}

// TestCompression: pages, fragments, JSON, JS and CSS go out gzipped to a
// client that asks, and decode to the page itself; event streams, images,
// HEAD and short answers do not; Vary says so; ETags and 304s still work.
func TestCompression(t *testing.T) {
	_, srv := newTestServer(t)
	gz := []string{"Accept-Encoding", "gzip"}

	for _, path := range []string{"/conv?preset=lesson-mnist", "/conv/stage?preset=lesson-mnist", "/animations", "/static/js/visualizer.js", "/static/css/app.css"} {
		_, plain := get(t, nil, srv.URL+path)
		resp, body := get(t, nil, srv.URL+path, gz...)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: %d, Content-Encoding %q, want gzip", path, resp.StatusCode, resp.Header.Get("Content-Encoding"))
			continue
		}
		if vary := strings.Join(resp.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") || (!strings.HasPrefix(path, "/static/") && !strings.HasPrefix(vary, "Accept-Language")) {
			t.Errorf("%s: Vary %q", path, vary)
		}
		if got := gunzip(t, body); got != plain {
			t.Errorf("%s: gzip body decodes to %d bytes, the plain body has %d", path, len(got), len(plain))
		}
		if len(body) >= len(plain) {
			t.Errorf("%s: gzip %d bytes, plain %d", path, len(body), len(plain))
		}
	}

	// A JSON answer (the engine on a 20×20 input: 324 outputs).
	rows := make([]string, 20)
	for i := range rows {
		rows[i] = "[" + strings.TrimSuffix(strings.Repeat("1.5,", 20), ",") + "]"
	}
	conv := `{"input":[[` + strings.Join(rows, ",") + `]],"weight":[[[[1,2,3],[4,5,6],[7,8,9]]]]}`
	_, plain := post(t, srv.URL+"/api/conv", "application/json", conv)
	resp, body := post(t, srv.URL+"/api/conv", "application/json", conv, gz...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || gunzip(t, body) != plain {
		t.Errorf("/api/conv: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}

	// Static files keep their ETag; a revalidation is a 304 without a body.
	resp, _ = get(t, nil, srv.URL+"/static/js/visualizer.js", gz...)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("static file without ETag")
	}
	resp, body = get(t, nil, srv.URL+"/static/js/visualizer.js", "Accept-Encoding", "gzip", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("static revalidation: %d, %d bytes, Content-Encoding %q", resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
	}

	// Already compressed, or not worth it: as they are.
	resp, body = get(t, nil, srv.URL+"/animations/dilation.gif", gz...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(body, "GIF8") {
		t.Errorf("GIF: %d, Content-Encoding %q, starts %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), body[:min(len(body), 4)])
	}
	if etag := resp.Header.Get("ETag"); etag == "" {
		t.Error("GIF without ETag")
	} else if resp, _ := get(t, nil, srv.URL+"/animations/dilation.gif", "Accept-Encoding", "gzip", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GIF revalidation: %d", resp.StatusCode)
	}
	resp, body = get(t, nil, srv.URL+"/healthz", gz...)
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("/healthz (%d bytes) gzipped", len(body))
	}
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/conv?preset=lesson-mnist", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("HEAD: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}

// TestEventStreamNotCompressed: an event stream asked for with gzip comes
// as plain text/event-stream, and its first event arrives while the
// stream stays open (it is flushed, not buffered).
func TestEventStreamNotCompressed(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range []string{"/api/follow/events", "/api/lesson/follow/events", "/api/train/events"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", path, err)
		}
		if resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Errorf("%s: Content-Encoding %q, Content-Type %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
		}
		buf := make([]byte, 1) // the stream's first byte: "retry:", an event or a comment, never gzip's 0x1f
		if _, err := io.ReadFull(resp.Body, buf); err != nil || !bytes.ContainsAny(buf, ":eir") {
			t.Errorf("%s: first byte %q, %v", path, buf, err)
		}
		resp.Body.Close()
		cancel()
	}
}

// BenchmarkLessonPage is the cost of gzip on the largest page:
// go test ./internal/server -run '^$' -bench LessonPage -benchmem
func BenchmarkLessonPage(b *testing.B) {
	a, err := newApp(defaultConfig(), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	h := a.serve(a.handler())
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/conv?preset=lesson-mnist", nil)
				req.Header.Set("Accept-Encoding", enc)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				n = w.Body.Len()
			}
			b.ReportMetric(float64(n), "wire-bytes")
		})
	}
}
