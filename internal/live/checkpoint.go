package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/atomicfile"
	"github.com/convlab/convlab/mnist"
)

// Checkpoints. With Options.Checkpoint set, the run is saved to that file
// (atomically: temp file, fsync, rename) when it pauses, at each epoch's
// end, every CheckpointEvery of training, on Close (graceful shutdown) and
// on request (SaveCheckpoint); RestoreCheckpoint brings a saved run back,
// paused, when the server starts. Only the training goroutine touches the
// engine, so it is the one that saves (Close saves after it has stopped).

// Checkpointer is an Engine whose whole training state can be saved.
type Checkpointer interface {
	// Checkpoint encodes the engine's state with extra (the manager's own
	// state) and reports the step it holds.
	Checkpoint(extra map[string]string) (b []byte, step int, err error)
}

// Resumer rebuilds an engine from a checkpoint: the engine, the run's
// settings and the extra entries saved with it. Its errors say what is
// wrong with the file.
type Resumer func(ctx context.Context, b []byte) (Engine, Config, map[string]string, error)

// MaxCheckpointFile bounds the checkpoint file read at startup; the
// largest run (the reference net with Adam) saves about 1 MB.
const MaxCheckpointFile = 64 << 20

// DefaultCheckpointEvery is the training time between periodic saves.
const DefaultCheckpointEvery = time.Minute

// savedRun is the manager's state kept in a checkpoint ("live" entry), so
// that viewers of a restored run see its settings, charts and last figures.
type savedRun struct {
	Run       int             `json:"run"`
	Config    Config          `json:"config"`
	Budget    int             `json:"budget"`
	Finished  bool            `json:"finished"`
	Completed int             `json:"completed"` // epochs finished
	History   History         `json:"history"`
	Progress  *Progress       `json:"progress,omitempty"`
	Eval      json.RawMessage `json:"eval,omitempty"` // the latest eval event's data
}

// saveResult answers a save request to the training goroutine.
type saveResult struct {
	step int
	err  error
}

// CheckpointPath is the checkpoint file ("" when checkpoints are off).
func (m *Manager) CheckpointPath() string { return m.opt.Checkpoint }

// checkpointing reports whether this manager writes checkpoints: a file
// is configured and it was not refused at startup.
func (m *Manager) checkpointing() bool {
	if m.opt.Checkpoint == "" {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ckptOff == ""
}

// writeCheckpoint saves eng's state and the manager's to the checkpoint
// file. Only the goroutine that owns eng may call it.
func (m *Manager) writeCheckpoint(eng Engine, why string) (int, error) {
	ck, ok := eng.(Checkpointer)
	if !ok {
		return 0, errors.New("this kind of training run cannot be checkpointed")
	}
	m.mu.Lock()
	if off := m.ckptOff; off != "" {
		m.mu.Unlock()
		return 0, conflict("checkpoint_kept", apperr.A("path", m.opt.Checkpoint))
	}
	s := savedRun{Run: m.run, Config: m.cfg, Budget: m.budget, Finished: m.finished, Completed: m.completed,
		History: m.historyLocked(), Progress: m.latestProgress}
	if w := m.latest[KindEval].Wire; w != nil {
		s.Eval = wireData(w)
	}
	m.mu.Unlock()
	js, err := json.Marshal(s)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	b, step, err := ck.Checkpoint(map[string]string{"live": string(js)})
	if err == nil {
		if werr := atomicfile.WriteFile(m.opt.Checkpoint, b, 0o644); werr != nil {
			err = saveError(m.opt.Checkpoint, werr)
		}
	}
	if err != nil {
		m.opt.Log.Warn("checkpoint not saved", "path", m.opt.Checkpoint, "when", why, "error", err.Error())
		return 0, err
	}
	m.opt.Log.Info("checkpoint saved", "path", m.opt.Checkpoint, "when", why, "step", step,
		"bytes", len(b), "ms", time.Since(t0).Milliseconds())
	return step, nil
}

// wireData is the JSON data of an encoded event.
func wireData(w []byte) json.RawMessage {
	_, rest, ok := bytes.Cut(w, []byte("\ndata: "))
	if !ok {
		return nil
	}
	return json.RawMessage(bytes.TrimRight(rest, "\n"))
}

// serveSave answers a pending save request, if any (training goroutine).
func (m *Manager) serveSave(eng Engine) bool {
	select {
	case r := <-m.saveReq:
		step, err := m.writeCheckpoint(eng, "request")
		r <- saveResult{step, err}
		return true
	default:
		return false
	}
}

// SaveCheckpoint saves the run now (POST /api/train/checkpoint) and
// returns the checkpoint's path and step. Errors are *apperr.Error: of
// kind Conflict when checkpoints are off or there is no run; code
// checkpoint_save_* when the file could not be written (why, and what to
// do: saveError).
func (m *Manager) SaveCheckpoint(ctx context.Context) (path string, step int, err error) {
	if m.opt.Checkpoint == "" {
		return "", 0, conflict("checkpoint_off")
	}
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	off, idle, done, diverged := m.ckptOff, m.state == StateIdle || m.loopDone == nil, m.loopDone, m.lastErr == Diverged
	m.mu.Unlock()
	switch {
	case off != "":
		return "", 0, conflict("checkpoint_kept", apperr.A("path", m.opt.Checkpoint))
	case diverged:
		return "", 0, conflict("checkpoint_diverged")
	case idle:
		return "", 0, conflict("checkpoint_no_run")
	}
	reply := make(chan saveResult, 1)
	select {
	case m.saveReq <- reply:
	case <-done:
		return "", 0, conflict("checkpoint_run_ended")
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
	select {
	case r := <-reply:
		if r.err != nil {
			if e, ok := apperr.As(r.err); ok {
				return "", 0, e
			}
			return "", 0, fmt.Errorf("saving the checkpoint: %w", r.err)
		}
		return m.opt.Checkpoint, r.step, nil
	case <-ctx.Done():
		return "", 0, ctx.Err()
	}
}

// RestoreCheckpoint brings back the run saved in the checkpoint file, in
// the paused state, as the server starts. No file: nothing to do (false,
// nil). A file that cannot be restored is left exactly as it is, the
// manager starts fresh and writes no checkpoint over it (so nothing is
// lost); the error says why, for the log.
func (m *Manager) RestoreCheckpoint(ctx context.Context) (bool, error) {
	path := m.opt.Checkpoint
	if path == "" {
		return false, nil
	}
	b, err := atomicfile.ReadFile(path, MaxCheckpointFile)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	refuse := func(err error) (bool, error) {
		m.mu.Lock()
		m.ckptOff = fmt.Sprintf("the checkpoint file %s could not be restored when the server started, so it is kept as it was and no checkpoint is written over it: move it away or choose another -checkpoint file", path)
		m.mu.Unlock()
		return false, fmt.Errorf("checkpoint %s not restored (kept untouched; checkpoints are off until it is moved away): %w", path, err)
	}
	if err != nil {
		return refuse(err)
	}
	if m.opt.Resume == nil {
		return refuse(errors.New("this server cannot resume runs"))
	}
	eng, cfg, extra, err := m.opt.Resume(ctx, b)
	if err != nil {
		return refuse(err)
	}
	var s savedRun
	if err := json.Unmarshal([]byte(extra["live"]), &s); err != nil {
		return refuse(fmt.Errorf("its run state does not decode: %v", err))
	}
	if err := cfg.Validate(); err != nil {
		return refuse(fmt.Errorf("its settings are outside what /train allows: %v", err))
	}

	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	if m.closed || m.state != StateIdle {
		m.mu.Unlock()
		return false, errors.New("checkpoint: a run is already loaded")
	}
	m.run = max(s.Run, 1)
	m.cfg = cfg
	m.state = StatePaused
	m.finished = s.Finished
	m.budget = max(s.Budget, s.Completed, 1)
	m.completed = s.Completed
	m.lastErr = ""
	m.latest = [numKinds]Event{}
	m.latestProgress = nil
	m.hist = History{Run: m.run, Loss: s.History.Loss, TrainAccuracy: s.History.TrainAccuracy, TestAccuracy: s.History.TestAccuracy}
	if p := s.Progress; p != nil {
		p.Run, p.State = m.run, StatePaused
		m.latestProgress = p
		if e, err := Encode(KindProgress, *p); err == nil {
			m.latest[KindProgress] = e
		}
	}
	if len(s.Eval) > 0 {
		var ev Eval
		if json.Unmarshal(s.Eval, &ev) == nil {
			ev.Run = m.run
			if e, err := Encode(KindEval, ev); err == nil {
				m.latest[KindEval] = e
			}
		}
	}
	m.model, m.modelStep = eng.Model(), engineStep(eng)
	m.eng = eng
	lctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.loopDone = make(chan struct{})
	m.wake = make(chan struct{})
	run, done := m.run, m.loopDone
	m.mu.Unlock()
	m.publishState()
	go m.loop(lctx, eng, run, done)
	return true, nil
}

// forgetCheckpoint removes the checkpoint file of a run that was reset
// (the run is forgotten; a restart must not bring it back). A file refused
// at startup is never touched.
func (m *Manager) forgetCheckpoint() {
	if !m.checkpointing() {
		return
	}
	path, err := atomicfile.Target(m.opt.Checkpoint) // a symbolic link is kept; the file it names goes
	if err != nil {
		m.opt.Log.Warn("checkpoint not removed", "path", m.opt.Checkpoint, "error", err.Error())
		return
	}
	if err := os.Remove(path); err == nil {
		m.opt.Log.Info("checkpoint removed (the run was reset)", "path", m.opt.Checkpoint)
	} else if !errors.Is(err, os.ErrNotExist) {
		m.opt.Log.Warn("checkpoint not removed", "path", m.opt.Checkpoint, "error", err.Error())
	}
}

// finalCheckpoint saves the run as the manager closes (after the training
// goroutine has stopped, so the engine is free).
func (m *Manager) finalCheckpoint() {
	m.mu.Lock()
	eng, idle := m.eng, m.state == StateIdle
	m.mu.Unlock()
	if eng == nil || idle || !m.checkpointing() {
		return
	}
	m.writeCheckpoint(eng, "shutdown")
}

// Checkpoint implements Checkpointer: the trainer's checkpoint
// (mnist.Trainer.EncodeCheckpoint).
func (e *mnistEngine) Checkpoint(extra map[string]string) ([]byte, int, error) {
	b, err := e.tr.EncodeCheckpoint(extra)
	return b, e.tr.Steps(), err
}

// Resume implements Resumer for MNIST runs: it loads the data (as Factory
// does) and continues the checkpoint's trainer.
func (d *MNIST) Resume(_ context.Context, b []byte) (Engine, Config, map[string]string, error) {
	if _, err := mnist.CheckpointConfig(b); err != nil { // a damaged file is told as such, before loading data
		return nil, Config{}, nil, err
	}
	train, test, err := d.Data()
	if err != nil {
		return nil, Config{}, nil, err
	}
	return ResumeMNISTEngine(b, train, test)
}

// ResumeMNISTEngine continues an mnist checkpoint on train and test (the
// data it was made on).
func ResumeMNISTEngine(b []byte, train, test *mnist.Set) (Engine, Config, map[string]string, error) {
	if test == nil || test.N == 0 {
		return nil, Config{}, nil, errors.New("the MNIST test set is empty")
	}
	tr, extra, err := mnist.DecodeCheckpoint(b, train, test)
	if err != nil {
		return nil, Config{}, nil, err
	}
	c := tr.Config()
	cfg := Config{Net: c.Net, Optimizer: c.Optimizer, LR: c.LR, BatchSize: c.BatchSize, Augment: c.Augment}
	return newMNISTEngine(tr, train, test), cfg, extra, nil
}
