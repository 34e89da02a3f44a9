package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/convlab/convlab/internal/convstate"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// teacherState is a valid visualizer state (the default 5×5 with a 3×3
// kernel) at a step.
func teacherState(step int) convstate.State {
	s := convstate.Default()
	s.FillX()
	s.FillW()
	s.FillB()
	s.Step = step
	return s
}

func followBody(t testing.TB, s any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"state": s})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sseReader reads events from a follower's stream.
type sseReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

func openFollow(t testing.TB, ctx context.Context, url string) *sseReader {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/follow/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/follow/events: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("follow stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// next returns the next "state" event's data.
func (r *sseReader) next(t testing.TB) followState {
	t.Helper()
	fs, err := r.read()
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// read is next for goroutines other than the test's.
func (r *sseReader) read() (followState, error) {
	var ev string
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			ev = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && ev == "state":
			var fs followState
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &fs); err != nil {
				return fs, fmt.Errorf("bad event data %q: %v", line, err)
			}
			return fs, nil
		}
	}
	return followState{}, fmt.Errorf("stream ended: %v", r.sc.Err())
}

// TestFollowBroadcast: the teacher publishes; a follower who joins later
// gets the latest state at once, then every new one, in order.
func TestFollowBroadcast(t *testing.T) {
	a, srv := newTestServer(t)
	if resp, _ := get(t, nil, srv.URL+"/api/follow"); resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /api/follow before any state: %d, want 204", resp.StatusCode)
	}
	resp, body := post(t, srv.URL+"/api/follow", "application/json", followBody(t, teacherState(3)))
	if resp.StatusCode != 200 || !strings.Contains(body, `"seq":1`) {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f1 := openFollow(t, ctx, srv.URL)
	if fs := f1.next(t); fs.Seq != 1 || fs.State.Step != 3 || len(fs.State.X) != 25 {
		t.Errorf("late follower's first state: seq %d step %d", fs.Seq, fs.State.Step)
	}
	f2 := openFollow(t, ctx, srv.URL)
	f2.next(t)
	for step := 4; step <= 6; step++ {
		resp, body := post(t, srv.URL+"/api/follow", "application/json", followBody(t, teacherState(step)))
		if resp.StatusCode != 200 || !strings.Contains(body, `"followers":2`) {
			t.Fatalf("publish step %d: %d %s", step, resp.StatusCode, body)
		}
		for i, f := range []*sseReader{f1, f2} {
			if fs := f.next(t); fs.State.Step != step || fs.Seq != int64(step-2) {
				t.Errorf("follower %d: step %d seq %d, want step %d", i+1, fs.State.Step, fs.Seq, step)
			}
		}
	}
	resp, body = get(t, nil, srv.URL+"/api/follow")
	if resp.StatusCode != 200 || !strings.Contains(body, `"step":6`) {
		t.Errorf("GET /api/follow: %d %s", resp.StatusCode, body)
	}
	if n := a.follow.hub.Len(); n != 2 {
		t.Errorf("%d followers, want 2", n)
	}
}

// TestFollowEnd: DELETE /api/follow tells the followers that the teacher
// stopped leading, with the last state; the next state starts again.
func TestFollowEnd(t *testing.T) {
	cfg := defaultConfig()
	cfg.PresenterToken = "s3cret"
	_, srv := newTestServerConfig(t, cfg)
	del := func(hdr ...string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/follow", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tok := []string{"X-Presenter-Token", "s3cret"}
	if st := del(tok...); st != 204 {
		t.Errorf("DELETE before any state: %d", st)
	}
	post(t, srv.URL+"/api/follow", "application/json", followBody(t, teacherState(4)), tok...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := openFollow(t, ctx, srv.URL)
	first := f.next(t)
	if first.Ended || first.Seq != 1 || first.Run == 0 {
		t.Fatalf("first state %+v", first)
	}
	if st := del(); st != 403 {
		t.Errorf("DELETE without the token: %d, want 403", st)
	}
	if st := del(tok...); st != 204 {
		t.Errorf("DELETE: %d", st)
	}
	if fs := f.next(t); !fs.Ended || fs.Seq != 2 || fs.State.Step != 4 || fs.Run != first.Run {
		t.Errorf("after DELETE the follower got %+v, want ended at step 4, seq 2", fs)
	}
	del(tok...) // already ended: nothing new is sent
	post(t, srv.URL+"/api/follow", "application/json", followBody(t, teacherState(5)), tok...)
	if fs := f.next(t); fs.Ended || fs.Seq != 3 || fs.State.Step != 5 {
		t.Errorf("leading again: %+v", fs)
	}
}

// TestFollowRejectsBadStates: every state the visualizer would not show is
// refused with a 4xx that names the problem; nothing is published.
func TestFollowRejectsBadStates(t *testing.T) {
	a, srv := newTestServer(t)
	mod := func(f func(s *convstate.State)) string {
		s := teacherState(1)
		f(&s)
		return followBody(t, s)
	}
	big := `{"state": {"x": [` + strings.Repeat("1,", 70000) + `1]}}`
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no state", `{}`, 400, "state"},
		{"not JSON", `{"state": `, 400, "JSON"},
		{"wrong type", `{"state": {"in_h": "five"}}`, 400, "in_h"},
		{"input 0", mod(func(s *convstate.State) { s.InH = 0 }), 400, "input “0” is out of range"},
		{"input too large", mod(func(s *convstate.State) { s.InW = 1000 }), 400, "between 1 and 32"},
		{"kernel too large", mod(func(s *convstate.State) { s.KH = 9 }), 400, "kernel “9” is out of range"},
		{"negative padding", mod(func(s *convstate.State) { s.PadW = -1 }), 400, "padding “-1” is out of range"},
		{"step 0", mod(func(s *convstate.State) { s.Step = 0 }), 400, "step “0” is out of range"},
		{"bad mode", mod(func(s *convstate.State) { s.Mode = "mirror" }), 400, "The padding mode must be"},
		{"bad padding word", mod(func(s *convstate.State) { s.PadStr = "full" }), 400, "padding must be a whole number"},
		{"bad preset", mod(func(s *convstate.State) { s.Preset = "../../etc" }), 400, "There is no preset called “../../etc”"},
		{"x too short", mod(func(s *convstate.State) { s.X = s.X[:3] }), 400, "x needs exactly 25 numbers"},
		{"w too long", mod(func(s *convstate.State) { s.W = append(s.W, 1) }), 400, "w needs exactly 9 numbers"},
		{"value too large", mod(func(s *convstate.State) { s.B[0] = 5000 }), 400, "b holds 5000"},
		{"float32 overflow", `{"state": {"x": [1e39]}}`, 400, "x"},
		{"body too large", big, 413, "too large"},
	} {
		resp, body := post(t, srv.URL+"/api/follow", "application/json", tc.body)
		if resp.StatusCode != tc.status || !strings.Contains(body, `"error"`) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if a.follow.current() != nil {
		t.Errorf("a refused state was published")
	}
	// The largest state the visualizer runs (every array at its longest;
	// a stride of 8 keeps the trace within the budget), with long
	// numbers, fits.
	s := convstate.Default()
	s.InH, s.InW, s.KH, s.KW, s.Channels, s.Filters = convstate.MaxInput, convstate.MaxInput, convstate.MaxKernel, convstate.MaxKernel, convstate.MaxChannels, convstate.MaxFilters
	s.SH, s.SW = convstate.MaxStride, convstate.MaxStride
	s.FillX()
	s.FillW()
	s.FillB()
	for i := range s.X {
		s.X[i] = -0.00012345678
	}
	for i := range s.W {
		s.W[i] = -999.99994
	}
	body := followBody(t, s)
	if resp, b := post(t, srv.URL+"/api/follow", "application/json", body); resp.StatusCode != 200 {
		t.Errorf("largest state (%d bytes): %d %s", len(body), resp.StatusCode, b)
	}
}

// TestFollowPresenterOnly: with a presenter token, only the presenter may
// lead; anyone may follow.
func TestFollowPresenterOnly(t *testing.T) {
	cfg := defaultConfig()
	cfg.PresenterToken = "s3cret"
	_, srv := newTestServerConfig(t, cfg)
	body := followBody(t, teacherState(2))
	if resp, b := post(t, srv.URL+"/api/follow", "application/json", body); resp.StatusCode != 403 || !strings.Contains(b, "presenter") {
		t.Errorf("publish without token: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, srv.URL+"/api/follow", "application/json", body, "Cookie", "presenter=s3cret"); resp.StatusCode != 200 {
		t.Errorf("publish with the presenter cookie: %d %s", resp.StatusCode, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if fs := openFollow(t, ctx, srv.URL).next(t); fs.State.Step != 2 {
		t.Errorf("follower without token got step %d", fs.State.Step)
	}
	// The page offers "Lead the class" to the presenter only.
	if _, page := get(t, nil, srv.URL+"/conv?lang=en"); strings.Contains(page, `id="class-lead"`) {
		t.Errorf("/conv offers leading without the token")
	}
	if _, page := get(t, nil, srv.URL+"/conv?lang=en", "Cookie", "presenter=s3cret"); !strings.Contains(page, `id="class-lead"`) {
		t.Errorf("/conv does not offer leading to the presenter")
	}
}

// TestFollowersLeaveNothingBehind: followers that vanish (or never read)
// cost the teacher nothing: publishing never blocks, and once they are
// gone no subscription or goroutine remains.
func TestFollowersLeaveNothingBehind(t *testing.T) {
	a, srv := newTestServer(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	const n = 50
	for range n {
		openFollow(t, ctx, srv.URL) // opened, never read: a slow student
	}
	waitFor(t, func() bool { return a.follow.hub.Len() == n }, "50 followers subscribed")
	// 2000 publications with 50 followers that read nothing: each keeps
	// only the latest, so this cannot block.
	s := teacherState(1)
	for i := range 2000 {
		s.Step = 1 + i%9
		if _, err := a.follow.publish(s, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cancel() // every student closes the tab
	waitFor(t, func() bool { return a.follow.hub.Len() == 0 }, "followers unsubscribed")
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before+2 }, fmt.Sprintf("goroutines back to ~%d", before))
}

func waitFor(t testing.TB, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFollowStreamEndsOnShutdown: closing the app ends the streams.
func TestFollowStreamEndsOnShutdown(t *testing.T) {
	a, srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := openFollow(t, ctx, srv.URL)
	waitFor(t, func() bool { return a.follow.hub.Len() == 1 }, "follower subscribed")
	a.Close()
	for r.sc.Scan() {
	}
	if ctx.Err() != nil {
		t.Errorf("the stream did not end when the app closed")
	}
}

// BenchmarkFollowPublish: one teacher's state handed to a class of 300
// followers (encoded once, then a pointer per follower).
func BenchmarkFollowPublish(b *testing.B) {
	f := newFollowHub()
	defer f.close()
	for range 300 {
		if _, ok := f.subscribe(); !ok {
			b.Fatal("hub closed")
		}
	}
	s := teacherState(1)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Step = 1 + i%9
		if _, err := f.publish(s, now); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzClassroomAPI: no body makes POST /api/follow or /api/quiz/check
// answer 5xx or anything but JSON, and an accepted state passes the
// visualizer's checks.
func FuzzClassroomAPI(f *testing.F) {
	f.Add(false, followBody(f, teacherState(2)))
	f.Add(false, `{"state": {"in_h": 99}}`)
	f.Add(false, `{"state": null}`)
	f.Add(true, `{"kind": "cell", "seed": 3, "answer": "8"}`)
	f.Add(true, `{"kind": "size", "seed": 18446744073709551615, "answer": "4×4"}`)
	f.Add(true, `{"kind": "padding", "seed": 0, "answer": "−1"}`)
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	defer a.Close()
	h := a.serve(a.handler())
	f.Fuzz(func(t *testing.T, quizCheck bool, body string) {
		path := "/api/follow"
		if quizCheck {
			path = "/api/quiz/check"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if !quizCheck && rec.Code == 200 {
			if _, err := a.follow.current().State.Resolve(); err != nil {
				t.Fatalf("accepted state fails the check: %v", err)
			}
		}
	})
}

// TestFollowClassOf300: 300 students follow over real loopback
// connections while the teacher publishes 20 steps through the API; every
// student ends on the teacher's last step (a slow reader may skip
// intermediate ones, never the last). The delivery times of the last step
// are logged (measured, not asserted).
func TestFollowClassOf300(t *testing.T) {
	if testing.Short() {
		t.Skip("300 followers: -short")
	}
	a, srv := newTestServer(t)
	const n, steps = 300, 20
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	got := make(chan time.Time, n)
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/follow/events", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			r := &sseReader{resp: resp, sc: bufio.NewScanner(resp.Body)}
			for {
				fs, err := r.read()
				if err != nil {
					return // the test reports the followers that did not arrive
				}
				if fs.State.Step == steps {
					got <- time.Now()
					return
				}
			}
		}()
	}
	waitFor(t, func() bool { return a.follow.hub.Len() == n }, "300 followers")
	var sent time.Time
	for step := 1; step <= steps; step++ {
		sent = time.Now()
		if resp, body := post(t, srv.URL+"/api/follow", "application/json", followBody(t, teacherState(step))); resp.StatusCode != 200 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		select {
		case at := <-got:
			lat = append(lat, at.Sub(sent))
		case <-ctx.Done():
			t.Fatalf("only %d of %d followers reached the last step", len(lat), n)
		}
	}
	slices.Sort(lat)
	t.Logf("300 followers, last of %d steps delivered: p50 %v, p99 %v, max %v", steps,
		lat[n/2].Round(time.Microsecond), lat[n*99/100].Round(time.Microsecond), lat[n-1].Round(time.Microsecond))
}
