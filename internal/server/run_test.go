package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// syncBuffer is a goroutine-safe log sink that tests can wait on.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits (up to 10 s) until the log matches re, and returns the match.
func (s *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("log never matched %s:\n%s", re, s.String())
	return nil
}

func TestRunGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	streamEnded := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-shutdown-timeout", "20s"}, func(string) string { return "" }, &logs)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	e := a.handler()
	{ // routes only this test has
		e.GET("/slow", func(c echo.Context) error {
			close(started)
			<-release
			return c.String(http.StatusOK, "finished")
		})
		e.GET("/stream", func(c echo.Context) error {
			defer close(streamEnded)
			w := c.Response()
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, "event: hello\ndata: {}\n\n")
			w.Flush()
			select {
			case <-a.streamsDone():
			case <-c.Request().Context().Done():
			}
			return nil
		})
	}

	done := make(chan error, 1)
	go func() { done <- a.listenAndServe(ctx, e) }()
	base := logs.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))[1]

	if resp, body := get(t, nil, base+"/healthz"); resp.StatusCode != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}

	// An open event stream, and a request in flight.
	streamResp, err := http.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer streamResp.Body.Close()
	type result struct {
		status int
		body   string
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{resp.StatusCode, string(b), err}
	}()
	<-started

	cancel() // as SIGINT would
	logs.waitFor(t, regexp.MustCompile(`shutting down`))
	<-streamEnded // shutdown ends streams at once, without waiting for the timeout
	select {
	case err := <-done:
		t.Fatalf("run returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	r := <-slow
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %d %q %v, want 200 finished", r.status, r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("server still answers after shutdown")
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("no 'stopped' in the log:\n%s", logs.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	var out syncBuffer
	err := Run(context.Background(), []string{"web", "-no-such-flag"}, func(string) string { return "" }, &out)
	if err == nil || !strings.Contains(out.String(), "-addr") {
		t.Errorf("bad flag: err %v, usage %q", err, out.String())
	}
	if err := Run(context.Background(), []string{"web", "-addr", "256.0.0.1:99999"}, nil, io.Discard); err == nil {
		t.Errorf("bad address: no error")
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"PRESENTER_TOKEN": "from-env"}
	cfg, err := parseConfig([]string{"-addr", ":9090", "-mnist", "/data/mnist", "-model", "m.safetensors"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9090" || cfg.MNISTDir != "/data/mnist" || cfg.ModelPath != "m.safetensors" || cfg.PresenterToken != "from-env" {
		t.Errorf("config %+v", cfg)
	}
	cfg, _ = parseConfig([]string{"-presenter-token", "flag"}, func(k string) string { return env[k] }, io.Discard)
	if cfg.PresenterToken != "flag" || cfg.Addr != ":8080" {
		t.Errorf("flag should beat env and default addr is :8080: %+v", cfg)
	}
	if _, err := parseConfig([]string{"extra"}, nil, io.Discard); err == nil {
		t.Errorf("stray argument accepted")
	}
}
