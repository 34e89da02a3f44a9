package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
	"github.com/labstack/echo/v4"
)

func TestTrainStartRejectsBadBodies(t *testing.T) {
	a, srv := newTestServer(t)
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"unknown net", `{"net":"huge"}`, 400, `net must be "small" or "reference"`},
		{"unknown optimizer", `{"optimizer":"rmsprop"}`, 400, `optimizer must be "adam" or "sgd"`},
		{"lr zero", `{"lr":0}`, 400, "lr (learning rate) must be between 1e-06 and 1"},
		{"lr subnormal", `{"lr":1e-320}`, 400, "lr (learning rate) must be between 1e-06 and 1"},
		{"lr negative", `{"lr":-1}`, 400, "lr (learning rate)"},
		{"lr too big", `{"lr":10}`, 400, "between 1e-06 and 1"},
		{"lr not a number", `{"lr":"fast"}`, 400, "lr must be a number"},
		{"lr overflows", `{"lr":1e999}`, 400, "lr must be a number"},
		{"batch zero", `{"batch_size":0}`, 400, "batch_size must be between 1 and 512"},
		{"batch too big", `{"batch_size":100000}`, 400, "batch_size must be between 1 and 512, not 100000"},
		{"batch fractional", `{"batch_size":2.5}`, 400, "batch_size must be a whole number"},
		{"unknown field", `{"epochs":100}`, 400, `unknown field "epochs"`},
		{"array", `[]`, 400, "must be a JSON object"},
		{"broken", `{"net":`, 400, "the JSON ends too early"},
		{"trailing data", `{} x`, 400, "nothing after it"},
		{"too large", `{"net":"` + strings.Repeat("a", 5000) + `"}`, 413, "too large"},
	} {
		resp, body := post(t, srv.URL+"/api/train/start", "application/json", tc.body)
		var e struct{ Error string }
		if resp.StatusCode != tc.status || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s: %d %s, want %d with an error containing %q", tc.name, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if st := a.train.State(); st.State != live.StateIdle || st.Run != 0 {
		t.Fatalf("a bad start changed the run: %+v", st)
	}
	// Controls that make no sense yet answer 409 with a reason.
	for _, path := range []string{"/api/train/pause", "/api/train/resume"} {
		resp, body := post(t, srv.URL+path, "application/json", "")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "no run to") {
			t.Errorf("%s when idle: %d %s, want 409", path, resp.StatusCode, body)
		}
	}
	if resp, body := post(t, srv.URL+"/api/train/step", "application/json", ""); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "paused run") {
		t.Errorf("/api/train/step when idle: %d %s, want 409 asking for a paused run", resp.StatusCode, body)
	}
	if resp, body := get(t, nil, srv.URL+"/api/train/start"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/train/start: %d %s, want 405", resp.StatusCode, body)
	}
}

func TestTrainControlNeedsPresenterToken(t *testing.T) {
	cfg := defaultConfig()
	cfg.PresenterToken = "s3cret"
	_, srv := newTestServerConfig(t, cfg)
	for _, path := range []string{"start", "pause", "resume", "reset", "step"} {
		resp, body := post(t, srv.URL+"/api/train/"+path, "application/json", `{"lr":5}`)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "only the presenter") {
			t.Errorf("%s without the token: %d %s, want 403", path, resp.StatusCode, body)
		}
	}
	// With the token the request reaches the handler (lr 5 is refused there).
	resp, body := post(t, srv.URL+"/api/train/start", "application/json", `{"lr":5}`, "X-Presenter-Token", "s3cret")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "lr") {
		t.Errorf("start with the token and lr 5: %d %s, want 400 about lr", resp.StatusCode, body)
	}
	resp, body = post(t, srv.URL+"/api/train/reset", "application/json", "", "Cookie", "presenter=s3cret")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"presenter":true`) {
		t.Errorf("reset with the cookie: %d %s", resp.StatusCode, body)
	}
	// Watching needs no token.
	if resp, _ := get(t, nil, srv.URL+"/api/train/state"); resp.StatusCode != http.StatusOK {
		t.Errorf("state without the token: %d", resp.StatusCode)
	}

	// The page shows a viewer disabled controls and a note; the presenter
	// enabled ones.
	_, page := get(t, nil, srv.URL+"/train")
	if !strings.Contains(page, `data-testid="train-viewer-note"`) || !strings.Contains(page, `id="train-start" data-testid="train-start" disabled`) {
		t.Errorf("viewer's /train: controls not disabled or no note")
	}
	_, page = get(t, nil, srv.URL+"/train", "Cookie", "presenter=s3cret")
	if strings.Contains(page, `data-testid="train-viewer-note"`) || strings.Contains(page, `data-testid="train-start" disabled`) {
		t.Errorf("presenter's /train: controls disabled")
	}
}

func TestTrainAndDrawPages(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ path, want string }{
		{"/train", `data-testid="train-step"`},
		{"/train?lang=ko", "CNN이 학습하는 모습 보기"},
		{"/draw", `data-testid="draw-canvas"`},
		{"/draw?lang=ko", "숫자 그리기"},
	} {
		resp, body := get(t, nil, srv.URL+tc.path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want 200 containing %q", tc.path, resp.StatusCode, tc.want)
		}
		if strings.Contains(body, "style=") || strings.Contains(body, "onclick") {
			t.Errorf("GET %s: inline style or handler", tc.path)
		}
		for _, asset := range []string{"/static/js/train.js", "/static/js/draw.js"} {
			if strings.Contains(body, asset) {
				if resp, _ := get(t, nil, srv.URL+asset); resp.StatusCode != http.StatusOK {
					t.Errorf("%s: %d", asset, resp.StatusCode)
				}
			}
		}
	}
}

// sseLines reads an event stream and sends the names of its events.
func sseNames(t *testing.T, resp *http.Response) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				ch <- name
			}
		}
	}()
	return ch
}

func expectEvent(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case name, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before a %s event", want)
			}
			if name == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %s event", want)
		}
	}
}

// TestTrainEventsOutliveWriteTimeout serves the app with a short server
// WriteTimeout: the stream lifts it for itself, so events written later
// still arrive; and closing the app ends the stream.
func TestTrainEventsOutliveWriteTimeout(t *testing.T) {
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.handler(), WriteTimeout: 200 * time.Millisecond}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/train/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	names := sseNames(t, resp)
	expectEvent(t, names, "state")
	time.Sleep(500 * time.Millisecond) // past the server's WriteTimeout
	if r, body := post(t, url+"/api/train/reset", "application/json", ""); r.StatusCode != 200 {
		t.Fatalf("reset: %d %s", r.StatusCode, body)
	}
	expectEvent(t, names, "state")

	a.Close()
	select {
	case <-drain(names):
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after app.Close")
	}
}

// TestTrainEventsEndOnShutdown: http.Server.Shutdown does not wait for
// the stream (the app's stream context ends it).
func TestTrainEventsEndOnShutdown(t *testing.T) {
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewUnstartedServer(a.handler())
	srv.Config.RegisterOnShutdown(a.cancelStream)
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/train/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := sseNames(t, resp)
	expectEvent(t, names, "state")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open stream: %v", err)
	}
	select {
	case <-drain(names):
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after Shutdown")
	}
}

func drain(ch <-chan string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	return done
}

// TestPredictWithLiveModel: /api/predict's "model": "live" is the training
// run's snapshot: refused before a run, served once one has begun.
func TestPredictWithLiveModel(t *testing.T) {
	needMNIST(t)
	a, srv := newTestServer(t)
	img := "[" + strings.TrimSuffix(strings.Repeat("0,", 784), ",") + "]"
	body := `{"image":` + img + `,"model":"live"}`
	if resp, out := post(t, srv.URL+"/api/predict", "application/json", body); resp.StatusCode != http.StatusConflict || !strings.Contains(out, "no training run") {
		t.Fatalf("live model before any run: %d %s, want 409", resp.StatusCode, out)
	}
	if resp, out := post(t, srv.URL+"/api/train/start", "application/json", `{"net":"small","batch_size":16}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("start: %d %s", resp.StatusCode, out)
	}
	if resp, out := post(t, srv.URL+"/api/train/pause", "application/json", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("pause: %d %s", resp.StatusCode, out)
	}
	// The loop may take one more snapshot as it notices the pause.
	before := a.train.LiveNet()
	resp, out := post(t, srv.URL+"/api/predict", "application/json", body)
	after := a.train.LiveNet()
	var got struct {
		Digit         int
		Probabilities []float64
		Model, Preset string
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &got) != nil || got.Model != "live" || got.Preset != "small" || len(got.Probabilities) != 10 {
		t.Fatalf("live model after start: %d %s", resp.StatusCode, out)
	}
	// The answer is the live network's own.
	same := func(want [10]float32) bool {
		for i, p := range got.Probabilities {
			if d := p - float64(want[i]); d > 1e-6 || d < -1e-6 {
				return false
			}
		}
		return true
	}
	blank := make([]float32, 784)
	if !same(before.Predict(blank)) && !same(after.Predict(blank)) {
		t.Fatalf("probabilities %v are not the live net's %v", got.Probabilities, after.Predict(blank))
	}
	if resp, out := post(t, srv.URL+"/api/train/reset", "application/json", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d %s", resp.StatusCode, out)
	}
	if resp, out := post(t, srv.URL+"/api/predict", "application/json", body); resp.StatusCode != http.StatusConflict {
		t.Fatalf("live model after reset: %d %s, want 409", resp.StatusCode, out)
	}
}

// TestTrainGateCountsRequestsNotStreams: a request in flight holds the
// training back between steps; an open event stream does not.
func TestTrainGateCountsRequestsNotStreams(t *testing.T) {
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	e := a.handler()
	e.GET("/busy", func(c echo.Context) error { return c.JSON(200, a.train.Gate().Busy()) })
	url := newServer(t, e)
	if _, body := get(t, nil, url+"/busy"); strings.TrimSpace(body) != "true" {
		t.Fatalf("inside a request the gate says %s, want true", body)
	}
	if a.train.Gate().Busy() {
		t.Fatal("the gate is busy after the request ended")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/train/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	expectEvent(t, sseNames(t, resp), "state")
	if a.train.Gate().Busy() {
		t.Fatal("an open event stream holds the gate")
	}
}

// TestTrainStartWithoutMNIST: a server without the data set still runs;
// starting training says what is missing and how to get it.
func TestTrainStartWithoutMNIST(t *testing.T) {
	cfg := defaultConfig()
	cfg.MNISTDir = t.TempDir() // an empty folder
	a, srv := newTestServerConfig(t, cfg)
	resp, body := post(t, srv.URL+"/api/train/start", "application/json", "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "MNIST") || !strings.Contains(body, "-mnist") {
		t.Fatalf("start without MNIST: %d %s, want 503 naming the data and the flag", resp.StatusCode, body)
	}
	if st := a.train.State(); st.State != live.StateIdle || !strings.Contains(st.Error, "MNIST") {
		t.Fatalf("state after the failed start: %+v", st)
	}
	if resp, _ := get(t, nil, srv.URL+"/train"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/train after the failed start: %d", resp.StatusCode)
	}
}

func TestTrainModelDownload(t *testing.T) {
	needMNIST(t)
	a, srv := newTestServer(t)
	if resp, body := get(t, nil, srv.URL+"/api/train/model.safetensors"); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "start training first") {
		t.Fatalf("model before a run: %d %s, want 409", resp.StatusCode, body)
	}
	if resp, body := post(t, srv.URL+"/api/train/start", "application/json", `{"batch_size":8}`); resp.StatusCode != 200 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	a.train.Pause()
	resp, body := get(t, nil, srv.URL+"/api/train/model.safetensors")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "convlab-small-run1.safetensors") {
		t.Fatalf("model: %d %v", resp.StatusCode, resp.Header)
	}
	net, err := mnist.LoadNet([]byte(body))
	if err != nil {
		t.Fatalf("the download does not load: %v", err)
	}
	if net.Preset() != "small" || net.ParamCount() != a.train.LiveNet().ParamCount() {
		t.Fatalf("downloaded %s with %d parameters", net.Preset(), net.ParamCount())
	}
}
