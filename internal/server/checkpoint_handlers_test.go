package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
)

// startApp builds the app with cfg and a log, served on a loopback
// server; stop closes both (as a graceful shutdown does).
func startApp(t *testing.T, cfg config) (a *app, url string, logs *syncBuffer, stop func()) {
	t.Helper()
	logs = &syncBuffer{}
	a, err := newApp(cfg, logs)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv := httptest.NewServer(a.serve(a.handler()))
	var once sync.Once
	stop = func() {
		once.Do(func() {
			srv.Close()
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return a, srv.URL, logs, stop
}

func TestCheckpointFlagAndVariable(t *testing.T) {
	env := func(k string) string { return map[string]string{"CONVLAB_CHECKPOINT": "/var/env.ckpt"}[k] }
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{nil, nil, ""},
		{nil, env, "/var/env.ckpt"},
		{[]string{"-checkpoint", "run.safetensors"}, env, "run.safetensors"},
	} {
		cfg, err := parseConfig(tc.args, tc.env, &bytes.Buffer{})
		if err != nil || cfg.CheckpointPath != tc.want {
			t.Errorf("%v: checkpoint %q, %v; want %q", tc.args, cfg.CheckpointPath, err, tc.want)
		}
	}
}

// TestModelFileCheckedAtStartup: a good -model file is served; a corrupt
// or missing one is refused at startup with a message in the log, and the
// shipped model answers instead.
func TestModelFileCheckedAtStartup(t *testing.T) {
	dir := t.TempDir()
	small, _ := mnist.NewNet("small", 3)
	good := filepath.Join(dir, "small.safetensors")
	if err := small.Save(good); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.safetensors")
	os.WriteFile(truncated, b[:len(b)/2], 0o644)
	flipped := filepath.Join(dir, "nan.safetensors")
	bad := bytes.Clone(b)
	copy(bad[len(bad)-4:], []byte{0, 0, 0xc0, 0x7f}) // the last value becomes NaN
	os.WriteFile(flipped, bad, 0o644)
	img := jsonBody(map[string]any{"image": stroke("1", 28, 28)})

	for _, tc := range []struct {
		name, path, preset, log string
	}{
		{"good", good, "small", "serving the -model file"},
		{"truncated", truncated, "reference", "truncated"},
		{"NaN value", flipped, "reference", "NaN"},
		{"missing", filepath.Join(dir, "missing.safetensors"), "reference", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.ModelPath = tc.path
			_, url, logs, _ := startApp(t, cfg)
			if tc.preset != "small" {
				for _, want := range []string{"the -model file cannot be used; serving the shipped model instead", tc.path, tc.log} {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("the startup log lacks %q: %s", want, logs.String())
					}
				}
			} else if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("the startup log lacks %q: %s", tc.log, logs.String())
			}
			resp, body := post(t, url+"/api/predict", "application/json", img)
			var ans predictAnswer
			if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &ans) != nil || ans.Preset != tc.preset || ans.Model != "shipped" {
				t.Fatalf("/api/predict: %d %.200s; want 200 from the %s model", resp.StatusCode, body, tc.preset)
			}
		})
	}
}

// TestTrainCheckpointAPI: POST /api/train/checkpoint answers 409 when
// checkpoints are off or there is no run, and needs the presenter token
// when one is set.
func TestTrainCheckpointAPI(t *testing.T) {
	_, url, _, _ := startApp(t, defaultConfig())
	resp, body := post(t, url+"/api/train/checkpoint", "application/json", "")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "-checkpoint") {
		t.Errorf("checkpoint without -checkpoint: %d %s, want 409 naming the flag", resp.StatusCode, body)
	}
	cfg := defaultConfig()
	cfg.CheckpointPath = filepath.Join(t.TempDir(), "run.safetensors")
	cfg.PresenterToken = "s3cret"
	_, url, logs, _ := startApp(t, cfg)
	if !strings.Contains(logs.String(), "no checkpoint yet") {
		t.Errorf("startup log: %s", logs.String())
	}
	if strings.Contains(logs.String(), "does not exist") {
		t.Errorf("startup log: %s", logs.String())
	}
	cfgNoDir := defaultConfig()
	cfgNoDir.CheckpointPath = filepath.Join(t.TempDir(), "no", "such", "run.safetensors")
	if _, _, l, _ := startApp(t, cfgNoDir); !strings.Contains(l.String(), "the folder of the -checkpoint file does not exist") {
		t.Errorf("a -checkpoint in a missing folder: log %s", l.String())
	}
	if resp, body := post(t, url+"/api/train/checkpoint", "application/json", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("checkpoint without the token: %d %s, want 403", resp.StatusCode, body)
	}
	resp, body = post(t, url+"/api/train/checkpoint", "application/json", "", "X-Presenter-Token", "s3cret")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "no run to checkpoint") {
		t.Errorf("checkpoint with no run: %d %s, want 409", resp.StatusCode, body)
	}
}

// TestTrainCheckpointRestart: a run saved on request and at shutdown comes
// back paused after a restart (state, step, live model); a corrupt file is
// reported at startup, kept untouched, and the server starts fresh.
func TestTrainCheckpointRestart(t *testing.T) {
	needMNIST(t)
	cfg := defaultConfig()
	cfg.CheckpointPath = filepath.Join(t.TempDir(), "run.safetensors")
	a, url, logs, stop := startApp(t, cfg)
	if resp, body := post(t, url+"/api/train/start", "application/json", `{"net":"small","batch_size":16}`); resp.StatusCode != 200 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	// Let it train a little: wait for a progress event.
	sub, _ := a.train.Subscribe()
	deadline := time.Now().Add(30 * time.Second)
	for seen := false; !seen; {
		select {
		case <-sub.Ready():
			for _, w := range sub.Take() {
				seen = seen || bytes.HasPrefix(w, []byte("event: progress"))
			}
		case <-time.After(time.Until(deadline)):
			t.Fatal("no progress within 30 s")
		}
	}
	a.train.Hub().Unsubscribe(sub)
	if resp, body := post(t, url+"/api/train/pause", "application/json", ""); resp.StatusCode != 200 {
		t.Fatalf("pause: %d %s", resp.StatusCode, body)
	}
	resp, body := post(t, url+"/api/train/checkpoint", "application/json", "")
	var ans checkpointAnswer
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &ans) != nil || ans.Path != cfg.CheckpointPath || ans.Step < 1 {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, body)
	}
	st := a.train.State()
	stop() // graceful: saves again
	if !strings.Contains(logs.String(), "when=shutdown") {
		t.Errorf("no checkpoint at shutdown: %s", logs.String())
	}
	saved, err := os.ReadFile(cfg.CheckpointPath)
	if err != nil {
		t.Fatal(err)
	}

	a2, url2, logs2, stop2 := startApp(t, cfg)
	if !strings.Contains(logs2.String(), "training run restored from the checkpoint") {
		t.Fatalf("restart log: %s", logs2.String())
	}
	st2 := a2.train.State()
	if st2.State != live.StatePaused || st2.Run != st.Run || st2.Config != st.Config {
		t.Fatalf("restored %+v, want the paused run %+v", st2, st)
	}
	img := jsonBody(map[string]any{"image": stroke("1", 28, 28), "model": "live"})
	if resp, body := post(t, url2+"/api/predict", "application/json", img); resp.StatusCode != 200 || !strings.Contains(body, `"model":"live"`) {
		t.Fatalf("live model after the restart: %d %.200s", resp.StatusCode, body)
	}
	resp, body = post(t, url2+"/api/train/checkpoint", "application/json", "")
	var ans2 checkpointAnswer
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &ans2) != nil || ans2.Step != ans.Step {
		t.Fatalf("checkpoint of the restored run: %d %s, want step %d", resp.StatusCode, body, ans.Step)
	}
	stop2()

	// A damaged checkpoint: logged, untouched, the server starts fresh.
	damaged := bytes.Clone(saved)
	damaged[len(damaged)/2] ^= 0x40
	os.WriteFile(cfg.CheckpointPath, damaged, 0o644)
	a3, url3, logs3, stop3 := startApp(t, cfg)
	for _, want := range []string{"the training checkpoint was not restored; starting without it", cfg.CheckpointPath, "checksum does not match"} {
		if !strings.Contains(logs3.String(), want) {
			t.Errorf("startup log lacks %q: %s", want, logs3.String())
		}
	}
	if st := a3.train.State(); st.State != live.StateIdle {
		t.Fatalf("state after a damaged checkpoint: %+v", st)
	}
	if resp, _ := get(t, nil, url3+"/train"); resp.StatusCode != 200 {
		t.Fatalf("/train: %d", resp.StatusCode)
	}
	if resp, body := post(t, url3+"/api/train/checkpoint", "application/json", ""); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "kept as it was") {
		t.Fatalf("checkpoint over the damaged file: %d %s, want 409", resp.StatusCode, body)
	}
	stop3()
	if now, _ := os.ReadFile(cfg.CheckpointPath); !bytes.Equal(now, damaged) {
		t.Fatal("the damaged checkpoint was changed")
	}
}

// TestRunCheckpointsOnShutdown: the whole program with CONVLAB_CHECKPOINT
// saves the run when it is stopped (as by SIGINT); started again with that
// file damaged and a damaged -model, it says so in its log and serves.
func TestRunCheckpointsOnShutdown(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.safetensors")
	getenv := func(k string) string { return map[string]string{"CONVLAB_CHECKPOINT": path}[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"web", "-addr", "127.0.0.1:0"}, getenv, &logs) }()
	base := logs.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))[1]
	if resp, body := post(t, base+"/api/train/start", "application/json", `{"batch_size":8}`); resp.StatusCode != 200 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	cancel() // as SIGINT would, while training runs
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(logs.String(), "when=shutdown") {
		t.Fatalf("no checkpoint at shutdown (%v):\n%s", err, logs.String())
	}
	if _, err := mnist.CheckpointConfig(b); err != nil {
		t.Fatalf("the shutdown checkpoint does not open: %v", err)
	}

	// Damage both files; the program still starts and serves.
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o644)
	model := filepath.Join(dir, "model.safetensors")
	os.WriteFile(model, []byte("not a model"), 0o644)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var logs2 syncBuffer
	go func() {
		done <- Run(ctx2, []string{"web", "-addr", "127.0.0.1:0", "-model", model}, getenv, &logs2)
	}()
	base = logs2.waitFor(t, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))[1]
	for _, want := range []string{"the -model file cannot be used", "the training checkpoint was not restored"} {
		if !strings.Contains(logs2.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs2.String())
		}
	}
	img := jsonBody(map[string]any{"image": stroke("1", 28, 28)})
	if resp, body := post(t, base+"/api/predict", "application/json", img); resp.StatusCode != 200 || !strings.Contains(body, `"preset":"reference"`) {
		t.Errorf("predict with the shipped model: %d %.200s", resp.StatusCode, body)
	}
	cancel2()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, b) {
		t.Fatal("the damaged checkpoint was changed")
	}
}
