package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// -model and -checkpoint pointing at /dev/zero (read until memory ran out)
// or a FIFO (blocked forever) are refused at once: the server starts
// within 2 s, says why in the log, and serves without them.
func TestStartupRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct{ flag, path, want string }{
		{"-model", "/dev/zero", "the -model file cannot be used"},
		{"-model", fifo, "the -model file cannot be used"},
		{"-checkpoint", "/dev/zero", "not restored"},
		{"-checkpoint", fifo, "not restored"},
	} {
		t.Run(tc.flag+" "+filepath.Base(tc.path), func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logs syncBuffer
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				done <- Run(ctx, []string{"web", "-addr", "127.0.0.1:0", tc.flag, tc.path}, func(string) string { return "" }, &logs)
			}()
			re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
			for !re.MatchString(logs.String()) {
				if time.Since(start) > 2*time.Second {
					cancel()
					t.Fatalf("%s %s: not serving after 2 s:\n%s", tc.flag, tc.path, logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			base := re.FindStringSubmatch(logs.String())[1]
			log := logs.String()
			if !strings.Contains(log, tc.want) || !strings.Contains(log, "not a file") {
				t.Errorf("%s %s: the log does not say why:\n%s", tc.flag, tc.path, log)
			}
			if resp, _ := get(t, nil, base+"/healthz"); resp.StatusCode != http.StatusOK {
				t.Errorf("healthz: %d", resp.StatusCode)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// A signal during startup work stops the server at once (it used to be
// ignored until startup ended, which with a FIFO was never).
func TestStartupHonoursSignal(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block); testStartup = nil })
	entered := make(chan struct{})
	testStartup = func(ctx context.Context) {
		close(entered)
		<-block // startup work that does not look at ctx
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"web", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, &logs)
	}()
	<-entered
	cancel() // as SIGTERM would
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2 s of the signal during startup")
	}
	if strings.Contains(logs.String(), "listening") {
		t.Errorf("it started listening after the signal:\n%s", logs.String())
	}
}
