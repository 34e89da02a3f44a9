package live

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convlab/convlab/mnist"
)

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ckptManager is a manager training the real mnist engine on synthetic
// data with checkpoints in path.
func ckptManager(t *testing.T, path string, train, test *mnist.Set, opt Options) (*Manager, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opt.Factory = func(_ context.Context, cfg Config) (Engine, error) { return NewMNISTEngine(cfg, train, test) }
	opt.Resume = func(_ context.Context, b []byte) (Engine, Config, map[string]string, error) {
		return ResumeMNISTEngine(b, train, test)
	}
	opt.Checkpoint = path
	opt.Log = slog.New(slog.NewTextHandler(logs, nil))
	if opt.ProgressEvery == 0 {
		opt.ProgressEvery = time.Millisecond
	}
	opt.EvalSample = 10
	m := New(opt)
	t.Cleanup(m.Close)
	return m, logs
}

func readCheckpoint(t *testing.T, path string, train, test *mnist.Set) *mnist.Trainer {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := mnist.DecodeCheckpoint(b, train, test)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sameNet(a, b *mnist.Net) bool {
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		for j := range pa[i].Data {
			if math.Float32bits(pa[i].Data[j]) != math.Float32bits(pb[i].Data[j]) {
				return false
			}
		}
	}
	return true
}

// TestCheckpointPauseSaveCloseRestore: a paused run is saved; saving on
// request answers its step; Close saves; a new manager restores the run
// paused, with its settings, charts and weights, and it trains on from
// there; a reset forgets the checkpoint.
func TestCheckpointPauseSaveCloseRestore(t *testing.T) {
	// 512 steps an epoch: an epoch-end save (which clears "dirty") cannot land just before the pause.
	train, test := mnist.RandomSet(4096, 1), mnist.RandomSet(16, 2)
	path := filepath.Join(t.TempDir(), "run.safetensors")
	m, logs := ckptManager(t, path, train, test, Options{})
	cfg := Config{Net: "small", Optimizer: "sgd", LR: 0.01, BatchSize: 8}
	if _, err := m.Start(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a few steps", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.latestProgress != nil && m.latestProgress.Step >= 3
	})
	if _, err := m.Pause(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the checkpoint of the pause", func() bool { return strings.Contains(logs.String(), "when=pause") })
	saved := readCheckpoint(t, path, train, test)

	gotPath, step, err := m.SaveCheckpoint(context.Background())
	if err != nil || gotPath != path || step != saved.Steps() || step < 3 {
		t.Fatalf("SaveCheckpoint = %q, %d, %v; want %q and the paused step %d", gotPath, step, err, path, saved.Steps())
	}
	waitFor(t, "the snapshot of the pause", func() bool { return sameNet(m.LiveNet(), saved.Net()) })
	if n, s := m.LiveSnapshot(); !sameNet(n, saved.Net()) || s != saved.Steps() {
		t.Errorf("LiveSnapshot after the pause says step %d, the paused run is at %d", s, saved.Steps())
	}
	st := m.State()
	hist := m.history()
	m.Close()
	if !strings.Contains(logs.String(), "when=shutdown") {
		t.Errorf("Close did not save: %s", logs.String())
	}

	m2, logs2 := ckptManager(t, path, train, test, Options{})
	ok, err := m2.RestoreCheckpoint(context.Background())
	if !ok || err != nil {
		t.Fatalf("RestoreCheckpoint = %v, %v", ok, err)
	}
	st2 := m2.State()
	if st2.State != StatePaused || st2.Run != st.Run || st2.Config != cfg || st2.Epochs != st.Epochs {
		t.Fatalf("restored state %+v, want paused run %d with %+v", st2, st.Run, cfg)
	}
	if !sameNet(m2.LiveNet(), saved.Net()) {
		t.Fatal("the restored live model is not the saved one")
	}
	if _, s := m2.LiveSnapshot(); s != saved.Steps() {
		t.Errorf("the restored LiveSnapshot says step %d, want %d", s, saved.Steps())
	}
	h2 := m2.history()
	if len(h2.Loss) == 0 || len(h2.Loss) != len(hist.Loss) || h2.Loss[len(h2.Loss)-1] != hist.Loss[len(hist.Loss)-1] {
		t.Fatalf("restored loss chart has %d points, want the %d saved", len(h2.Loss), len(hist.Loss))
	}
	// A new viewer sees the restored run: its state, charts and progress.
	sub, _ := m2.Subscribe()
	defer m2.Hub().Unsubscribe(sub)
	var wires []string
	for _, w := range sub.Take() {
		wires = append(wires, string(w))
	}
	all := strings.Join(wires, "")
	for _, want := range []string{"event: state\n", `"state":"paused"`, "event: history\n", "event: progress\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("a viewer of the restored run lacks %q in %.300s", want, all)
		}
	}
	// Resume: training goes on from the saved step.
	if _, err := m2.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "steps after the restore", func() bool {
		m2.mu.Lock()
		defer m2.mu.Unlock()
		return m2.latestProgress != nil && m2.latestProgress.Step > step+2
	})
	m2.Pause()
	// The pause (or an epoch's end just before it) saves the new steps.
	waitFor(t, "a checkpoint of the restored run's new steps", func() bool {
		return strings.Contains(logs2.String(), "checkpoint saved") && readCheckpoint(t, path, train, test).Steps() > step
	})
	m2.Reset()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the checkpoint of a reset run is still there: %v", err)
	}
}

// TestCheckpointCorruptIsKept: a checkpoint that does not restore is
// reported, left byte for byte as it was, never written over, and the
// manager works fresh.
func TestCheckpointCorruptIsKept(t *testing.T) {
	train, test := mnist.RandomSet(32, 1), mnist.RandomSet(8, 2)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.safetensors")

	// A real checkpoint with one byte flipped near the end (in the data).
	m0, _ := ckptManager(t, path, train, test, Options{})
	m0.Start(context.Background(), &Config{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 8})
	m0.Pause()
	if _, _, err := m0.SaveCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	m0.Reset() // removes the file: write the damaged copy afterwards
	good := func() []byte {
		m0.Start(context.Background(), nil)
		m0.Pause()
		m0.SaveCheckpoint(context.Background())
		b, _ := os.ReadFile(path)
		return b
	}()
	m0.Close()
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"flipped byte", func() []byte { b := bytes.Clone(good); b[len(b)-5] ^= 0x10; return b }(), "checksum does not match"},
		{"truncated", good[:len(good)/3], "damaged or not a checkpoint"},
		{"not a checkpoint", []byte("not a checkpoint at all"), "not a checkpoint"},
		{"other data", nil, "another training set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			tr, te := train, test
			if b == nil {
				b, tr = good, mnist.RandomSet(32, 9) // the same size, other labels
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			m, _ := ckptManager(t, path, tr, te, Options{})
			ok, err := m.RestoreCheckpoint(context.Background())
			if ok || err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "kept untouched") {
				t.Fatalf("RestoreCheckpoint = %v, %v; want a refusal containing %q", ok, err, tc.want)
			}
			if st := m.State(); st.State != StateIdle || st.Run != 0 {
				t.Fatalf("state after a refused restore: %+v", st)
			}
			// The manager works fresh, but never writes over the file.
			if _, err := m.Start(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			m.Pause()
			_, _, err = m.SaveCheckpoint(context.Background())
			if statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "kept as it was") {
				t.Fatalf("SaveCheckpoint over a refused file: %v, want 409", err)
			}
			m.Reset()
			m.Close()
			if now, _ := os.ReadFile(path); !bytes.Equal(now, b) {
				t.Fatal("the refused checkpoint file was changed")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("the folder holds %d entries, want only the kept file", len(ents))
			}
		})
	}
}

// TestCheckpointEpochEndAndPeriodic: an epoch's end and the training-time
// period each save a checkpoint.
func TestCheckpointEpochEndAndPeriodic(t *testing.T) {
	train, test := mnist.RandomSet(16, 1), mnist.RandomSet(8, 2)
	dir := t.TempDir()
	m, logs := ckptManager(t, filepath.Join(dir, "a.safetensors"), train, test, Options{Epochs: 1})
	m.Start(context.Background(), &Config{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 8})
	waitFor(t, "the end of the one-epoch budget", func() bool { return m.State().Finished })
	waitFor(t, "the epoch-end checkpoint", func() bool { return strings.Contains(logs.String(), `when="epoch end" step=2`) })
	if strings.Contains(logs.String(), "when=pause") {
		t.Error("the pause after the epoch end saved the same state again")
	}

	m2, logs2 := ckptManager(t, filepath.Join(dir, "b.safetensors"), train, test, Options{CheckpointEvery: time.Nanosecond})
	m2.Start(context.Background(), &Config{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 8})
	waitFor(t, "a periodic checkpoint", func() bool { return strings.Contains(logs2.String(), "when=periodic") })
}

// TestCheckpointRequests: saving answers 409 with a reason when
// checkpoints are off, when there is no run and when training diverged.
func TestCheckpointRequests(t *testing.T) {
	ff := &fakeFactory{}
	off := newTestManager(t, ff, Options{})
	if _, _, err := off.SaveCheckpoint(context.Background()); statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "-checkpoint") {
		t.Errorf("without -checkpoint: %v", err)
	}
	if ok, err := off.RestoreCheckpoint(context.Background()); ok || err != nil {
		t.Errorf("restore without -checkpoint: %v, %v", ok, err)
	}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	on := newTestManager(t, ff, Options{Checkpoint: path})
	if ok, err := on.RestoreCheckpoint(context.Background()); ok || err != nil {
		t.Errorf("restore without a file: %v, %v (a first start is not an error)", ok, err)
	}
	if _, _, err := on.SaveCheckpoint(context.Background()); statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "no run") {
		t.Errorf("idle: %v", err)
	}
	// The fake engine cannot be checkpointed: the request says so, and
	// nothing is written.
	on.Start(context.Background(), nil)
	if _, _, err := on.SaveCheckpoint(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot be checkpointed") {
		t.Errorf("an engine without checkpoints: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}

	div := newTestManager(t, &fakeFactory{nanAfter: 2}, Options{Checkpoint: path})
	div.Start(context.Background(), nil)
	waitFor(t, "the divergence", func() bool { return div.State().Error == Diverged })
	if _, _, err := div.SaveCheckpoint(context.Background()); statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("diverged: %v", err)
	}
}
