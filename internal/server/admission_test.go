package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/admission"
	"github.com/labstack/echo/v4"
)

// slowUpload opens a connection to addr and sends the headers of a POST
// with a 1000-byte body, then one byte of it, and keeps the connection
// open until the test ends: a client on a bad link (or an attacker).
func slowUpload(t *testing.T, addr, path string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path, addr)
}

// Four idle uploads used to hold all four slots of POST /api/conv (the slot
// was taken before the body was read): everyone else waited 10 s for a
// 503. The body is now read before a slot is asked for.
func TestSlowUploadsDoNotBlockConv(t *testing.T) {
	cfg := defaultConfig()
	cfg.Work = admission.Options{Slots: 4, Queue: 8, PerClient: 8, Wait: 10 * time.Second}
	_, srv := newTestServerConfig(t, cfg)
	addr := strings.TrimPrefix(srv.URL, "http://")
	for range 4 {
		slowUpload(t, addr, "/api/conv")
	}
	time.Sleep(100 * time.Millisecond) // let the server read the headers and start on the bodies

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/conv",
		strings.NewReader(`{"input": `+lessonInput+`, "weight": `+crossFilter+`}`))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("a normal request behind 4 slow uploads: %v after %v", err, time.Since(start))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a normal request behind 4 slow uploads: %d %s", resp.StatusCode, body)
	}
}

// The same for POST /api/predict, which had no limit at all before.
func TestSlowUploadsDoNotBlockPredict(t *testing.T) {
	cfg := defaultConfig()
	cfg.Work = admission.Options{Slots: 1, Queue: 8, PerClient: 8, Wait: 10 * time.Second}
	_, srv := newTestServerConfig(t, cfg)
	addr := strings.TrimPrefix(srv.URL, "http://")
	for range 4 {
		slowUpload(t, addr, "/api/predict")
	}
	time.Sleep(100 * time.Millisecond)
	resp, body := post(t, srv.URL+"/api/predict", "application/json", `{"image": [`+strings.Repeat("0,", 783)+`0]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("predict behind 4 slow uploads: %d %s", resp.StatusCode, body)
	}
}

// A full server answers 503 with Retry-After and a message in the page's
// language; a slot frees when the work ends.
func TestBusyAnswers(t *testing.T) {
	cfg := defaultConfig()
	cfg.Work = admission.Options{Slots: 1, Queue: -1, PerClient: 4, Wait: time.Second}
	a, err := newApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e := a.handler()
	inside, release := make(chan struct{}, 4), make(chan struct{})
	e.POST("/api/heavy", func(c echo.Context) error {
		inside <- struct{}{}
		<-release
		b, _ := io.ReadAll(c.Request().Body)
		return c.JSON(200, map[string]string{"got": string(b)})
	}, a.heavy)
	srv := newServer(t, e)

	first := make(chan string, 1)
	go func() {
		resp, err := http.Post(srv+"/api/heavy", "application/json", strings.NewReader(`{"x":1}`))
		if err != nil {
			first <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		first <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	<-inside // the first request holds the only slot; the line has no room
	for _, tc := range []struct{ lang, want string }{
		{"en", "The server is busy"},
		{"ko", "서버가 바쁩니다"},
	} {
		resp, body := post(t, srv+"/api/heavy", "application/json", `{}`, "Accept-Language", tc.lang)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, tc.want) {
			t.Errorf("%s: second request while full: %d Retry-After %q %s", tc.lang, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	close(release)
	if got := <-first; got != `200 {"got":"{\"x\":1}"}`+"\n" {
		t.Errorf("first request (its body read before the slot, handed on): %q", got)
	}
	if resp, _ := post(t, srv+"/api/heavy", "application/json", `{}`); resp.StatusCode != 200 {
		t.Errorf("after the first finished: %d", resp.StatusCode)
	}
}

// The body is bounded before a slot is taken: too large is 413, and holds
// no slot.
func TestHeavyBodyBoundedFirst(t *testing.T) {
	cfg := defaultConfig()
	cfg.BodyLimit = 100
	cfg.Work = admission.Options{Slots: 1, Queue: -1}
	a, err := newApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e := a.handler()
	e.POST("/api/heavy", func(c echo.Context) error { return c.NoContent(204) }, a.heavy)
	srv := newServer(t, e)
	// Chunked (no Content-Length), so only reading finds it too large.
	req, _ := http.NewRequest(http.MethodPost, srv+"/api/heavy", io.MultiReader(strings.NewReader(strings.Repeat("x", 200))))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 200-byte body over a 100-byte limit: %d", resp.StatusCode)
	}
	if run, wait := a.work.Stats(); run != 0 || wait != 0 {
		t.Errorf("after a refused body: running %d waiting %d", run, wait)
	}
}

// The bodies the heavy routes hold at once are bounded too: past
// heavyBodyBudget (uploads in progress count their Content-Length), 503.
func TestHeavyBodyBudget(t *testing.T) {
	cfg := defaultConfig()
	a, srv := newTestServerConfig(t, cfg)
	addr := strings.TrimPrefix(srv.URL, "http://")
	n := int(heavyBodyBudget / cfg.BodyLimit)
	for range n { // each announces a 1 MB body and sends one byte of it
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST /api/conv HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", addr, cfg.BodyLimit)
	}
	// Every slow upload holds its charge before the probe is sent: a probe
	// in flight while the last upload arrives would (rightly) push that
	// upload over the budget instead, leaving room for every later probe
	// (under load that happened: 63 MB held, the test waited in vain).
	waitFor(t, func() bool { return a.bodyBytes.Load() == int64(n)*cfg.BodyLimit }, "the slow uploads charged")
	resp, body := post(t, srv.URL+"/api/conv", "application/json", `{"input": `+lessonInput+`, "weight": `+crossFilter+`}`)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "busy") {
		t.Errorf("over the body budget: %d %q", resp.StatusCode, body)
	}
}
