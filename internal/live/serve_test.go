package live

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	Name string
	Data string
}

// readSSE parses the stream of resp into events until the body ends.
func readSSE(resp *http.Response, out chan<- sseEvent) {
	defer close(out)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func sseServer(t *testing.T, m *Manager, o StreamOptions) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.ServeEvents(w, r, o)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// connect opens a stream and returns its parsed events and a cancel func.
func connect(t *testing.T, url string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q", ct)
	}
	ch := make(chan sseEvent, 1024)
	go readSSE(resp, ch)
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return ch, func() { cancel(); resp.Body.Close() }
}

// nextProgress waits for a progress event with a step above after.
func nextProgress(t *testing.T, ch <-chan sseEvent, after int) Progress {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.Name != "progress" {
				continue
			}
			var p Progress
			if err := json.Unmarshal([]byte(ev.Data), &p); err != nil {
				t.Fatalf("progress %q: %v", ev.Data, err)
			}
			if p.Step > after {
				return p
			}
		case <-timeout:
			t.Fatalf("no progress after step %d", after)
		}
	}
}

func TestSSEManyViewersReceiveProgress(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	m := newTestManager(t, ff, Options{})
	srv := sseServer(t, m, StreamOptions{})

	const viewers = 8
	var chans []<-chan sseEvent
	for i := 0; i < viewers; i++ {
		ch, _ := connect(t, srv.URL)
		chans = append(chans, ch)
	}
	// Each viewer is greeted with the state at once, before any run.
	for i, ch := range chans {
		ev := <-ch
		var st State
		if ev.Name != "state" || json.Unmarshal([]byte(ev.Data), &st) != nil || st.State != StateIdle {
			t.Fatalf("viewer %d: first event %s %s, want state idle", i, ev.Name, ev.Data)
		}
	}
	waitFor(t, "all viewers subscribed", func() bool { return m.Hub().Len() == viewers })
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		p := nextProgress(t, ch, 0)
		p2 := nextProgress(t, ch, p.Step)
		if p2.Run != 1 || p2.State != StateRunning || p2.Loss <= 0 || p2.ImagesPerSecond != 1000 {
			t.Fatalf("viewer %d: progress %+v", i, p2)
		}
	}

	// A late viewer gets the state, the history and the latest events at once.
	late, _ := connect(t, srv.URL)
	seen := map[string]bool{}
	for len(seen) < 4 {
		select {
		case ev := <-late:
			seen[ev.Name] = true
			if ev.Name == "history" {
				var h History
				if err := json.Unmarshal([]byte(ev.Data), &h); err != nil || h.Run != 1 || len(h.Loss) == 0 {
					t.Fatalf("late viewer's history %s: %v", ev.Data, err)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("late viewer saw only %v", seen)
		}
	}
	for _, k := range []string{"state", "history", "progress", "maps"} {
		if !seen[k] {
			t.Fatalf("late viewer missed %s (saw %v)", k, seen)
		}
	}
}

// goroutinesSettle waits until the goroutine count is at most want.
func goroutinesSettle(t *testing.T, want int) {
	t.Helper()
	var n int
	for i := 0; i < 1000; i++ {
		n = runtime.NumGoroutine()
		if n <= want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Fatalf("goroutines = %d, want ≤ %d:\n%s", n, want, buf)
}

func TestSSEDisconnectLeavesNothingBehind(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	m := newTestManager(t, ff, Options{})
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	srv := sseServer(t, m, StreamOptions{Heartbeat: 10 * time.Millisecond})
	// One viewer first, so the HTTP client's and server's shared
	// goroutines exist before the count.
	keep, _ := connect(t, srv.URL)
	nextProgress(t, keep, 0)
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()

	for round := 0; round < 3; round++ {
		var cancels []context.CancelFunc
		for i := 0; i < 5; i++ {
			ch, cancel := connect(t, srv.URL)
			nextProgress(t, ch, 0)
			cancels = append(cancels, cancel)
		}
		if got := m.Hub().Len(); got != 6 {
			t.Fatalf("subscribers = %d, want 6", got)
		}
		for _, c := range cancels {
			c()
		}
		waitFor(t, "the hub to drop the viewers who left", func() bool { return m.Hub().Len() == 1 })
		http.DefaultClient.CloseIdleConnections()
		goroutinesSettle(t, before)
	}
	// The remaining viewer is still served.
	p := nextProgress(t, keep, 0)
	nextProgress(t, keep, p.Step)
}

func TestSSESlowViewerBlocksNobody(t *testing.T) {
	// Big maps events fill a viewer's socket buffers quickly.
	ff := &fakeFactory{stepDelay: time.Millisecond, mapsBytes: 64 << 10}
	m := newTestManager(t, ff, Options{MapsEvery: time.Millisecond})
	srv := sseServer(t, m, StreamOptions{})

	// The slow viewer connects and never reads its body.
	req, _ := http.NewRequest("GET", srv.URL, nil)
	slow, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Body.Close()
	fast, _ := connect(t, srv.URL)
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	eng := ff.last()
	// Long after the slow viewer's buffers are full (each maps event is
	// ~90 KB of base64, far above loopback socket buffers), training and
	// the fast viewer go on.
	waitFor(t, "30 MB of events for the slow viewer", func() bool { return eng.steps.Load() > 350 })
	p := nextProgress(t, fast, 0)
	p2 := nextProgress(t, fast, p.Step+50)
	if p2.Run != 1 {
		t.Fatalf("fast viewer got %+v", p2)
	}
	// The slow viewer really was behind: it skipped most maps events.
	maxDropped := 0
	m.hub.mu.Lock()
	for s := range m.hub.subs {
		maxDropped = max(maxDropped, s.Dropped())
	}
	m.hub.mu.Unlock()
	if maxDropped < 100 {
		t.Fatalf("the slow viewer skipped only %d events: its socket never filled, the test proves nothing", maxDropped)
	}
	// Closing the manager ends the slow viewer's stream too.
	m.Close()
	waitFor(t, "the hub to empty", func() bool { return m.Hub().Len() == 0 })
}

func TestCloseEndsStreams(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	m := newTestManager(t, ff, Options{})
	srv := sseServer(t, m, StreamOptions{})
	ch, _ := connect(t, srv.URL)
	<-ch // state
	m.Close()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				// After Close, new viewers are refused.
				resp, err := http.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable {
					t.Fatalf("after Close: status %d, want 503", resp.StatusCode)
				}
				if _, err := m.Start(context.Background(), nil); statusOf(err) != http.StatusServiceUnavailable {
					t.Fatalf("Start after Close: %v", err)
				}
				return
			}
		case <-timeout:
			t.Fatal("stream still open after Close")
		}
	}
}

func TestHubKeepsOnlyTheLatestForASlowViewer(t *testing.T) {
	h := NewHub()
	s, _ := h.Subscribe()
	for i := 0; i < 10000; i++ {
		e, _ := Encode(KindProgress, Progress{Step: i})
		h.Publish(e)
	}
	e, _ := Encode(KindEval, Eval{Step: 1})
	h.Publish(e)
	got := s.Take()
	if len(got) != 2 || !strings.Contains(string(got[0]), `"step":9999`) || !strings.HasPrefix(string(got[1]), "event: eval") {
		t.Fatalf("pending = %q, want the last progress then the eval", got)
	}
	if s.Dropped() != 9999 {
		t.Fatalf("dropped = %d, want 9999", s.Dropped())
	}
	if s.Take() != nil {
		t.Fatal("Take twice returned events twice")
	}
	h.Close()
	if _, ok := h.Subscribe(); ok {
		t.Fatal("Subscribe after Close succeeded")
	}
}

// TestSSEHundredViewers: a classroom of 100 viewers of one run all get
// progress, and all leaving costs nothing afterwards.
func TestSSEHundredViewers(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond, mapsBytes: 4 << 10}
	m := newTestManager(t, ff, Options{MapsEvery: 50 * time.Millisecond})
	srv := sseServer(t, m, StreamOptions{})
	// Connections of the test's own client pool exist before the count.
	http.DefaultClient.CloseIdleConnections()
	before := runtime.NumGoroutine()

	const viewers = 100
	chans := make([]<-chan sseEvent, viewers)
	cancels := make([]context.CancelFunc, viewers)
	for i := range viewers {
		chans[i], cancels[i] = connect(t, srv.URL)
	}
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		p := nextProgress(t, ch, 0)
		if q := nextProgress(t, ch, p.Step); q.Run != 1 {
			t.Fatalf("viewer %d: %+v", i, q)
		}
	}
	if got := m.Hub().Len(); got != viewers {
		t.Fatalf("subscribers = %d, want %d", got, viewers)
	}
	for _, c := range cancels {
		c()
	}
	waitFor(t, "every viewer to be dropped", func() bool { return m.Hub().Len() == 0 })
	m.Pause()
	http.DefaultClient.CloseIdleConnections()
	// The paused training goroutine is the one goroutine that may remain.
	goroutinesSettle(t, before+1)
}

func TestSSEHeartbeatAndHeaders(t *testing.T) {
	m := newTestManager(t, &fakeFactory{}, Options{})
	srv := sseServer(t, m, StreamOptions{Heartbeat: 20 * time.Millisecond})
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Errorf("Cache-Control %q", cc)
	}
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for sc.Scan() && len(lines) < 20 {
		lines = append(lines, sc.Text())
		if sc.Text() == ": heartbeat" {
			if lines[0] != "retry: 3000" {
				t.Errorf("the stream starts with %q, want the retry hint", lines[0])
			}
			return
		}
	}
	t.Fatalf("no heartbeat comment on an idle stream: %q", lines)
}
