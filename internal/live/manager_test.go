package live

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/apperr"
)

func newTestManager(t *testing.T, ff *fakeFactory, opt Options) *Manager {
	t.Helper()
	opt.Factory = ff.make
	if opt.ProgressEvery == 0 {
		opt.ProgressEvery = 5 * time.Millisecond
	}
	if opt.MapsEvery == 0 {
		opt.MapsEvery = 20 * time.Millisecond
	}
	m := New(opt)
	t.Cleanup(m.Close)
	return m
}

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// statusOf is the HTTP status internal/server answers for err (0 for an
// internal error).
func statusOf(err error) int {
	return map[apperr.Kind]int{apperr.Invalid: http.StatusBadRequest, apperr.Conflict: http.StatusConflict,
		apperr.Unavailable: http.StatusServiceUnavailable}[apperr.KindOf(err)]
}

func TestManagerLifecycle(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	// Maps only at the start and at each pause: a Maps call after Pause
	// says the loop has parked.
	m := newTestManager(t, ff, Options{MapsEvery: time.Hour})
	ctx := context.Background()

	if st := m.State(); st.State != StateIdle || st.Run != 0 {
		t.Fatalf("new manager state = %+v, want idle run 0", st)
	}
	if _, err := m.Pause(); statusOf(err) != http.StatusConflict {
		t.Fatalf("Pause when idle: err = %v, want 409", err)
	}
	if _, err := m.Resume(); statusOf(err) != http.StatusConflict {
		t.Fatalf("Resume when idle: err = %v, want 409", err)
	}
	if m.Model() != nil {
		t.Fatalf("Model before start = %v, want nil", m.Model())
	}

	cfg := Config{Net: "reference", Optimizer: "sgd", LR: 0.01, BatchSize: 32}
	st, err := m.Start(ctx, &cfg)
	if err != nil || st.State != StateRunning || st.Run != 1 || st.Config != cfg {
		t.Fatalf("Start = %+v, %v; want running run 1 with %+v", st, err, cfg)
	}
	eng := ff.last()
	if eng.cfg != cfg {
		t.Fatalf("engine built with %+v, want %+v", eng.cfg, cfg)
	}
	waitFor(t, "training steps", func() bool { return eng.steps.Load() > 5 })

	// Starting again with the same (or no) settings is harmless; other
	// settings need a reset.
	if _, err := m.Start(ctx, nil); err != nil {
		t.Fatalf("Start while running with no settings: %v", err)
	}
	other := cfg
	other.LR = 0.5
	if _, err := m.Start(ctx, &other); statusOf(err) != http.StatusConflict {
		t.Fatalf("Start with other settings while running: err = %v, want 409", err)
	}
	if len(ff.engines) != 1 {
		t.Fatalf("engines built = %d, want 1", len(ff.engines))
	}

	maps := eng.mapsCalls.Load()
	if st, err := m.Pause(); err != nil || st.State != StatePaused {
		t.Fatalf("Pause = %+v, %v", st, err)
	}
	// The loop finishes the batch in flight, publishes the maps of the
	// paused model, then stands still.
	waitFor(t, "the loop to park", func() bool { return eng.mapsCalls.Load() > maps })
	stopped := eng.steps.Load()
	time.Sleep(50 * time.Millisecond)
	if got := eng.steps.Load(); got != stopped {
		t.Fatalf("steps went on while paused: %d → %d", stopped, got)
	}
	if m.Model() == nil {
		t.Fatal("Model while paused is nil, want the paused model")
	}
	// The model copy and its step are taken together (the fake's model
	// is its step count): a reader never gets a step from another copy.
	m.mu.Lock()
	mdl, step := m.model, m.modelStep
	m.mu.Unlock()
	if mdl.(int) != step || step == 0 {
		t.Fatalf("the live model is from step %v, the manager says %d", mdl, step)
	}

	if st, err := m.Resume(); err != nil || st.State != StateRunning {
		t.Fatalf("Resume = %+v, %v", st, err)
	}
	waitFor(t, "training to resume", func() bool { return eng.steps.Load() > stopped+3 })
	m.Pause()
	if st, err := m.Start(ctx, nil); err != nil || st.State != StateRunning || len(ff.engines) != 1 {
		t.Fatalf("Start while paused should resume the same run: %+v, %v, engines %d", st, err, len(ff.engines))
	}

	st = m.Reset()
	if st.State != StateIdle || st.Run != 2 || st.Config != cfg {
		t.Fatalf("Reset = %+v, want idle, run 2, settings kept", st)
	}
	after := eng.steps.Load()
	time.Sleep(30 * time.Millisecond)
	if eng.steps.Load() != after {
		t.Fatal("the old run kept training after Reset")
	}
	if m.Model() != nil {
		t.Fatal("Model after Reset is not nil")
	}
	if st, err := m.Start(ctx, &other); err != nil || st.Run != 3 || st.Config != other || len(ff.engines) != 2 {
		t.Fatalf("Start after reset with new settings = %+v, %v (engines %d)", st, err, len(ff.engines))
	}
}

func TestManagerStartErrors(t *testing.T) {
	ff := &fakeFactory{err: apperr.New(apperr.Unavailable, "train_no_mnist", apperr.A("reason", "MNIST not found: run go mod download"))}
	m := newTestManager(t, ff, Options{})
	_, err := m.Start(context.Background(), nil)
	if statusOf(err) != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "MNIST not found") {
		t.Fatalf("Start with missing data: err = %v, want 503 naming the data", err)
	}
	if st := m.State(); st.State != StateIdle || !strings.Contains(st.Error, "MNIST not found") {
		t.Fatalf("state after failed start = %+v, want idle with the error", st)
	}

	ff.err = errors.New("disk on fire")
	if _, err := m.Start(context.Background(), nil); err == nil || statusOf(err) != 0 || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("plain factory error: err = %v, want it returned as it is (a 500 for the handler)", err)
	}
	if st := m.State(); strings.Contains(st.Error, "disk") || !strings.Contains(st.Error, "problem on the server") {
		t.Fatalf("viewers see %q, want a general message without the cause", st.Error)
	}
	ff.err = nil
	bad := Config{Net: "small", Optimizer: "adam", LR: 2, BatchSize: 10}
	if _, err := m.Start(context.Background(), &bad); statusOf(err) != http.StatusBadRequest {
		t.Fatalf("Start with lr 2: err = %v, want 400", err)
	}
	if len(ff.engines) != 0 {
		t.Fatal("an engine was built for invalid settings")
	}
	if st, err := m.Start(context.Background(), nil); err != nil || st.State != StateRunning || st.Error != "" {
		t.Fatalf("Start after the data appeared = %+v, %v", st, err)
	}
}

func TestManagerEvaluatesAndStopsAfterBudget(t *testing.T) {
	// A clock that only training moves: one step takes 10ms, so a
	// 100ms evaluation period is 10 steps.
	clock := &fakeClock{}
	ff := &fakeFactory{perEpoch: 50, clock: clock}
	m := newTestManager(t, ff, Options{Epochs: 2, EvalEvery: 100 * time.Millisecond, Now: clock.Now})
	sub, _ := m.Subscribe()
	defer m.Hub().Unsubscribe(sub)
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to pause itself after 2 epochs", func() bool { return m.State().State == StatePaused })
	st := m.State()
	eng := ff.last()
	if !st.Finished || st.Epochs != 2 {
		t.Fatalf("state = %+v, want finished after 2 epochs", st)
	}
	if got := eng.steps.Load(); got != 100 {
		t.Fatalf("steps = %d, want exactly 2 epochs of 50", got)
	}
	if got := eng.fullEvals.Load(); got != 2 {
		t.Fatalf("full evaluations = %d, want one per epoch (2)", got)
	}
	// 100 steps of 10ms is 1s of training: ~10 evaluations in all.
	if got := eng.evals.Load(); got < 8 || got > 12 {
		t.Fatalf("evaluations = %d, want about 10 (one per 100ms of training)", got)
	}
	h := m.history()
	if len(h.TestAccuracy) != int(eng.evals.Load()) || len(h.Loss) == 0 {
		t.Fatalf("history has %d test points (want %d) and %d loss points", len(h.TestAccuracy), eng.evals.Load(), len(h.Loss))
	}
	// The eval's NaN accuracy was made finite; the event encodes.
	var ev Eval
	decodeLatest(t, m, KindEval, &ev)
	if !ev.Full || ev.TestAccuracy != 0 || ev.Confusion[3][5] != 1 || ev.Run != 1 {
		t.Fatalf("latest eval = %+v", ev)
	}

	// Start again trains a further budget of epochs.
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second budget", func() bool { return m.State().State == StatePaused })
	if got := eng.steps.Load(); got != 200 {
		t.Fatalf("steps after resuming a finished run = %d, want 200", got)
	}
}

func TestManagerEvaluatesLessWhenEvaluationIsSlow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		evalCost time.Duration
		want     int64 // sample evaluations in 200 steps of 10ms (the 200th ends the epoch: a full one)
	}{
		{"quick evaluation: every EvalEvery (100ms)", 0, 19},
		{"50ms evaluation: then every 4×50ms", 50 * time.Millisecond, 10},
		{"1s evaluation: then every MaxEvalEvery (10s)", time.Second, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{}
			ff := &fakeFactory{perEpoch: 200, clock: clock, evalCost: tc.evalCost}
			m := newTestManager(t, ff, Options{Epochs: 1, EvalEvery: 100 * time.Millisecond, Now: clock.Now})
			if _, err := m.Start(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the epoch to end", func() bool { return m.State().State == StatePaused })
			eng := ff.last()
			if sample := eng.evals.Load() - eng.fullEvals.Load(); sample != tc.want {
				t.Fatalf("%d sample evaluations in 2s of training, want %d", sample, tc.want)
			}
		})
	}
}

func decodeLatest(t *testing.T, m *Manager, k Kind, v any) {
	t.Helper()
	m.mu.Lock()
	wire := m.latest[k].Wire
	m.mu.Unlock()
	if wire == nil {
		t.Fatalf("no %s event published", k)
	}
	_, data, ok := strings.Cut(string(wire), "data: ")
	if !ok {
		t.Fatalf("malformed event %q", wire)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(data)), v); err != nil {
		t.Fatalf("%s event: %v", k, err)
	}
}

func TestHistoryIsBounded(t *testing.T) {
	var ps []Point
	for i := 0; i < 10*maxHistory; i++ {
		ps = addPoint(ps, Point{Step: i, Y: float64(i)})
	}
	if len(ps) > maxHistory {
		t.Fatalf("history grew to %d points, bound %d", len(ps), maxHistory)
	}
	if ps[0].Step != 0 || ps[len(ps)-1].Step != 10*maxHistory-1 {
		t.Fatalf("history lost its ends: first %d last %d", ps[0].Step, ps[len(ps)-1].Step)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Step <= ps[i-1].Step {
			t.Fatalf("history out of order at %d", i)
		}
	}
}

func TestManagerPausesWhenTrainingDiverges(t *testing.T) {
	ff := &fakeFactory{nanAfter: 30}
	m := newTestManager(t, ff, Options{})
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the diverged run to pause", func() bool { return m.State().State == StatePaused })
	st := m.State()
	if st.Error != Diverged || st.Finished {
		t.Fatalf("state = %+v, want paused with the divergence error", st)
	}
	if got := ff.last().steps.Load(); got != 31 {
		t.Fatalf("steps = %d, want to stop at the first NaN loss (31)", got)
	}
	var p Progress
	decodeLatest(t, m, KindProgress, &p)
	if !p.Diverged || p.Loss != 0 || p.State != StatePaused {
		t.Fatalf("latest progress = %+v, want diverged, loss shown as 0, paused", p)
	}
	for _, pt := range m.history().Loss {
		if math.IsNaN(pt.Y) || pt.Step > 30 {
			t.Fatalf("history holds a point of the diverged run: %+v", pt)
		}
	}
	if st := m.Reset(); st.Error != "" {
		t.Fatalf("the error outlived Reset: %+v", st)
	}
}

func TestGateLetsRequestsGoFirst(t *testing.T) {
	ff := &fakeFactory{}
	m := newTestManager(t, ff, Options{})
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	eng := ff.last()
	waitFor(t, "training", func() bool { return eng.steps.Load() > 100 })

	leave := m.Gate().Enter()
	if !m.Gate().Busy() {
		t.Fatal("Gate not busy after Enter")
	}
	time.Sleep(MaxYield) // the step in flight finishes
	before := eng.steps.Load()
	time.Sleep(10 * MaxYield)
	// While a request is in flight the loop waits MaxYield between steps:
	// at most ~10 steps in 10·MaxYield (a slow machine only makes fewer).
	if n := eng.steps.Load() - before; n > 12 {
		t.Fatalf("%d steps in %v with a request in flight, want ≤ 12", n, 10*MaxYield)
	}
	leave()
	if m.Gate().Busy() {
		t.Fatal("Gate busy after leave")
	}
	after := eng.steps.Load()
	waitFor(t, "training at full speed again", func() bool { return eng.steps.Load() > after+1000 })
}

func TestProgressIsThrottled(t *testing.T) {
	ff := &fakeFactory{}
	m := New(Options{Factory: ff.make}) // default: at most one progress event per 100ms
	defer m.Close()
	start := time.Now()
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "thousands of steps", func() bool { return ff.last().steps.Load() > 5000 })
	m.Pause()
	elapsed := time.Since(start)
	steps := ff.last().steps.Load()
	events := len(m.history().Loss) // one point per progress event
	if limit := int(elapsed/(100*time.Millisecond)) + 2; events > limit || events < 1 {
		t.Fatalf("%d progress events for %d steps in %v, want between 1 and %d (≤ 10/s)", events, steps, elapsed, limit)
	}
}
