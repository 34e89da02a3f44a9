package live

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// latestFilter decodes the manager's latest filter event.
func latestFilter(t *testing.T, m *Manager) (FilterUpdate, bool) {
	t.Helper()
	m.mu.Lock()
	w := m.latest[KindFilter].Wire
	m.mu.Unlock()
	if w == nil {
		return FilterUpdate{}, false
	}
	_, data, ok := strings.Cut(string(w), "data: ")
	if !ok {
		t.Fatalf("filter event %q", w)
	}
	var f FilterUpdate
	if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &f); err != nil {
		t.Fatal(err)
	}
	return f, true
}

// TestManagerStepsOneBatchWhilePaused: Step trains exactly one batch of a
// paused run, publishes that step's filter update, and the run stays
// paused; it refuses when idle or running.
func TestManagerStepsOneBatchWhilePaused(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	m := newTestManager(t, ff, Options{MapsEvery: time.Hour, FilterEvery: time.Hour})
	ctx := context.Background()
	if _, _, err := m.Step(ctx); statusOf(err) != http.StatusConflict {
		t.Fatalf("Step when idle: %v, want 409", err)
	}
	if _, err := m.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	eng := ff.last()
	waitFor(t, "training", func() bool { return eng.steps.Load() > 2 })
	if _, _, err := m.Step(ctx); statusOf(err) != http.StatusConflict {
		t.Fatalf("Step while running: %v, want 409", err)
	}
	maps := eng.mapsCalls.Load()
	m.Pause()
	waitFor(t, "the loop to park", func() bool { return eng.mapsCalls.Load() > maps })
	for range 3 {
		before := eng.steps.Load()
		st, step, err := m.Step(ctx)
		if err != nil || st.State != StatePaused || int64(step) != before+1 || eng.steps.Load() != before+1 {
			t.Fatalf("Step = %+v, step %d, %v; engine went %d → %d", st, step, err, before, eng.steps.Load())
		}
		f, ok := latestFilter(t, m)
		if !ok || f.Step != step || f.Run != st.Run {
			t.Fatalf("filter event after step %d: %+v (present %v)", step, f, ok)
		}
	}
	stopped := eng.steps.Load()
	time.Sleep(30 * time.Millisecond)
	if eng.steps.Load() != stopped {
		t.Fatal("training went on after a single step")
	}
	if st, err := m.Resume(); err != nil || st.State != StateRunning {
		t.Fatalf("Resume after steps = %+v, %v", st, err)
	}
	waitFor(t, "training to resume", func() bool { return eng.steps.Load() > stopped+2 })
}

// TestManagerPublishesFilterUpdates: while running, filter events follow
// the training steps (at most every FilterEvery).
func TestManagerPublishesFilterUpdates(t *testing.T) {
	ff := &fakeFactory{stepDelay: time.Millisecond}
	m := newTestManager(t, ff, Options{FilterEvery: 5 * time.Millisecond})
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var first int
	waitFor(t, "a filter event", func() bool { f, ok := latestFilter(t, m); first = f.Step; return ok })
	waitFor(t, "a later filter event", func() bool { f, _ := latestFilter(t, m); return f.Step > first })
}
