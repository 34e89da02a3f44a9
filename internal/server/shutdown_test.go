package server

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Shutdown with GIF renders running and queued finishes within
// -shutdown-timeout: the queued ones get 503 at once, the running one
// stops between frames (it used to exit 1 past the timeout, six clients
// without an answer).
func TestShutdownUnderQueuedRenders(t *testing.T) {
	cfg := defaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Work.Slots = 1
	cfg.ShutdownTimeout = 2 * time.Second
	var logs syncBuffer
	a, err := newApp(cfg, &logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.listenAndServe(ctx, a.handler()) }()
	base := logs.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))[1]

	qs := customGIFs(t, 5, []int{32}, []int{9}, []string{"6x5", "5x6", "6x6"}, []string{"16x16", "15x16", "16x15"})
	type answer struct {
		status int
		err    error
	}
	answers := make(chan answer, len(qs))
	var wg sync.WaitGroup
	for _, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(base + "/animations/custom.gif?" + q)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers <- answer{status: resp.StatusCode}
		}()
	}
	waitFor(t, func() bool { run, wait := a.work.Stats(); return run == 1 && wait == len(qs)-1 }, "one render running, the rest queued")

	start := time.Now()
	cancel() // as SIGTERM would
	if err := <-done; err != nil {
		t.Fatalf("Run: %v (after %v)", err, time.Since(start))
	}
	wg.Wait()
	close(answers)
	n503 := 0
	for ans := range answers {
		switch {
		case ans.err != nil:
			t.Errorf("a client got no answer: %v", ans.err)
		case ans.status == http.StatusServiceUnavailable:
			n503++
		case ans.status != http.StatusOK:
			t.Errorf("a client got %d", ans.status)
		}
	}
	if n503 < len(qs)-1 {
		t.Errorf("%d of the %d queued renders got 503", n503, len(qs)-1)
	}
}
