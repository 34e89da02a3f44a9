package live

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/convlab/convlab/internal/apperr"
)

// Engine is one training run: a network, its optimizer and the data. The
// Manager calls it from a single goroutine only, so it needs no locking.
type Engine interface {
	// Step trains on one batch.
	Step() StepInfo
	// Evaluate scores the first limit test images (all when limit ≤ 0).
	Evaluate(limit int) Eval
	// Maps returns the first conv layer's filters and the feature maps of
	// the fixed test digit.
	Maps() Maps
	// Model returns an independent copy of the current model, safe to
	// use from other goroutines while training goes on.
	Model() any
	// TrainSize is the number of images in one epoch.
	TrainSize() int
}

// Factory builds the engine of a new run. It may be slow (it loads data
// the first time); an error meant for the student is an *apperr.Error
// (e.g. kind Unavailable when the MNIST data is missing); any other error
// is the server's problem.
type Factory func(ctx context.Context, cfg Config) (Engine, error)

// conflict is a control that does not fit the run's state; its message is
// the catalogue entry "err.<code>".
func conflict(code string, args ...apperr.Arg) error {
	return apperr.New(apperr.Conflict, code, args...)
}

// Options tune a Manager; zero fields take the documented defaults.
type Options struct {
	Factory       Factory
	EvalEvery     time.Duration // of training time between sample evaluations; 5s
	EvalSample    int           // test images in a sample evaluation; 2000
	MapsEvery     time.Duration // between filter/feature-map updates; 1s
	ProgressEvery time.Duration // between progress events; 100ms (≤ 10/s)
	FilterEvery   time.Duration // between filter events (FilterWatcher engines); 500ms
	Epochs        int           // budget: the run pauses itself after this many; 5
	Presenter     bool          // control needs a presenter token (shown to viewers)
	// Yield runs between two training steps so that requests get the
	// processor; runtime.Gosched by default.
	Yield func()
	// Now is the clock (for tests); time.Now by default.
	Now func() time.Time
	// Checkpoint is the file the run is saved to ("" = no checkpoints; see
	// checkpoint.go), every CheckpointEvery of training (1 minute) and at
	// pauses, epoch ends and Close. Resume rebuilds a run from it.
	Checkpoint      string
	CheckpointEvery time.Duration
	Resume          Resumer
	// Log receives checkpoint messages; none by default.
	Log *slog.Logger
}

// Manager owns the one training run of a server.
type Manager struct {
	opt  Options
	hub  *Hub
	gate Gate

	ctl sync.Mutex // serialises Start, Pause, Reset, Close

	mu             sync.Mutex // guards the fields below
	state          string
	cfg            Config
	run            int
	finished       bool
	budget         int           // epochs to train before pausing itself
	wake           chan struct{} // closed to resume a paused loop
	cancel         context.CancelFunc
	loopDone       chan struct{}
	latest         [numKinds]Event // last progress, eval, maps of this run
	latestProgress *Progress
	hist           History
	model          any
	modelStep      int // the training step model was copied at
	lastErr        string
	closed         bool
	completed      int    // epochs finished (kept in checkpoints)
	eng            Engine // the run's engine: the loop's, or Close's once the loop has stopped
	ckptOff        string // why checkpoints are off although configured
	saveReq        chan chan saveResult
	stepReq        chan chan int // Step's requests to a paused loop; it answers the step number
}

// New returns an idle manager.
func New(opt Options) *Manager {
	if opt.EvalEvery <= 0 {
		opt.EvalEvery = 5 * time.Second
	}
	if opt.EvalSample <= 0 {
		opt.EvalSample = 2000
	}
	if opt.MapsEvery <= 0 {
		opt.MapsEvery = time.Second
	}
	if opt.FilterEvery <= 0 {
		opt.FilterEvery = 500 * time.Millisecond
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 100 * time.Millisecond
	}
	if opt.Epochs <= 0 {
		opt.Epochs = 5
	}
	if opt.Yield == nil {
		opt.Yield = runtime.Gosched
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.CheckpointEvery <= 0 {
		opt.CheckpointEvery = DefaultCheckpointEvery
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{opt: opt, hub: NewHub(), state: StateIdle, cfg: DefaultConfig(), saveReq: make(chan chan saveResult), stepReq: make(chan chan int)}
}

// Hub is the manager's broadcast hub.
func (m *Manager) Hub() *Hub { return m.hub }

// State reports the run's state and configuration.
func (m *Manager) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stateLocked()
}

func (m *Manager) stateLocked() State {
	return State{Run: m.run, State: m.state, Config: m.cfg, Finished: m.finished,
		Epochs: m.budget, Error: m.lastErr, Presenter: m.opt.Presenter}
}

// Model is a copy of the live model, refreshed about every MapsEvery and
// at pauses; nil before the first run starts and after a reset.
func (m *Manager) Model() any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.model
}

// Start begins a run with cfg (nil: the current or default settings), or
// resumes a paused one. Changing the settings of a run that has begun
// needs a Reset first.
func (m *Manager) Start(ctx context.Context, cfg *Config) (State, error) {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return State{}, apperr.New(apperr.Unavailable, "shutting_down")
	}
	switch m.state {
	case StateRunning, StatePaused:
		if cfg != nil && *cfg != m.cfg {
			st := m.stateLocked()
			m.mu.Unlock()
			return st, conflict("train_other_settings")
		}
		if m.state == StatePaused {
			m.resumeLocked()
		}
		st := m.stateLocked()
		m.mu.Unlock()
		m.publishState()
		return st, nil
	}
	c := m.cfg
	if cfg != nil {
		c = *cfg
	}
	m.mu.Unlock()
	if err := c.Validate(); err != nil {
		return m.State(), err
	}
	eng, err := m.opt.Factory(ctx, c)
	if err != nil {
		// An *apperr.Error is meant for the student (every viewer sees it,
		// in English: the state is one for all); anything else is the
		// server's problem: its cause goes to the caller (and the log),
		// not to every viewer.
		msg := "training could not start because of a problem on the server"
		if e, ok := apperr.As(err); ok {
			msg = e.Error()
		}
		m.mu.Lock()
		m.lastErr = msg
		m.mu.Unlock()
		m.publishState()
		return m.State(), err
	}
	m.mu.Lock()
	m.run++
	m.cfg = c
	m.state = StateRunning
	m.finished = false
	m.budget = m.opt.Epochs
	m.lastErr = ""
	m.latest = [numKinds]Event{}
	m.latestProgress = nil
	m.hist = History{Run: m.run}
	m.model, m.modelStep = eng.Model(), engineStep(eng)
	m.eng, m.completed = eng, 0
	lctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.loopDone = make(chan struct{})
	m.wake = nil
	run, done := m.run, m.loopDone
	st := m.stateLocked()
	m.mu.Unlock()
	m.publishState()
	go m.loop(lctx, eng, run, done)
	return st, nil
}

// resumeLocked switches a paused run back to running; m.mu is held.
func (m *Manager) resumeLocked() {
	if m.finished {
		m.finished = false
		m.budget += m.opt.Epochs
	}
	m.state = StateRunning
	m.lastErr = ""
	if m.wake != nil {
		close(m.wake)
		m.wake = nil
	}
}

// Resume continues a paused run.
func (m *Manager) Resume() (State, error) {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	switch m.state {
	case StateIdle:
		st := m.stateLocked()
		m.mu.Unlock()
		return st, conflict("train_no_run_resume")
	case StatePaused:
		m.resumeLocked()
	}
	st := m.stateLocked()
	m.mu.Unlock()
	m.publishState()
	return st, nil
}

// Pause stops training after the current batch; the run keeps its state.
func (m *Manager) Pause() (State, error) {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	if m.state == StateIdle {
		st := m.stateLocked()
		m.mu.Unlock()
		return st, conflict("train_no_run_pause")
	}
	m.pauseLocked(false)
	st := m.stateLocked()
	m.mu.Unlock()
	m.publishState()
	return st, nil
}

// Step trains one batch of a paused run and leaves it paused: the
// presenter's "step" control, to follow training one step at a time. It
// returns the state and the number of the step made.
func (m *Manager) Step(ctx context.Context) (State, int, error) {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.mu.Lock()
	st := m.stateLocked()
	done := m.loopDone
	paused := m.state == StatePaused
	m.mu.Unlock()
	if !paused {
		return st, 0, conflict("train_step_not_paused")
	}
	gone := apperr.New(apperr.Unavailable, "train_step_stopped")
	r := make(chan int, 1)
	select {
	case m.stepReq <- r:
	case <-done:
		return m.State(), 0, gone
	case <-ctx.Done():
		return m.State(), 0, ctx.Err()
	}
	select {
	case step := <-r:
		return m.State(), step, nil
	case <-done:
		return m.State(), 0, gone
	case <-ctx.Done():
		return m.State(), 0, ctx.Err()
	}
}

func (m *Manager) pauseLocked(finished bool) {
	if m.state != StateRunning {
		return
	}
	m.state = StatePaused
	m.finished = finished
	m.wake = make(chan struct{})
}

// Reset ends the run and forgets it; the settings stay for the next start.
func (m *Manager) Reset() State {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.stopLoop()
	m.mu.Lock()
	hadRun := m.state != StateIdle
	if m.run > 0 || m.state != StateIdle {
		m.run++
	}
	m.state = StateIdle
	m.finished = false
	m.budget = 0
	m.latest = [numKinds]Event{}
	m.latestProgress = nil
	m.hist = History{Run: m.run}
	m.model = nil
	m.lastErr = ""
	m.eng, m.completed = nil, 0
	st := m.stateLocked()
	m.mu.Unlock()
	if hadRun {
		m.forgetCheckpoint()
	}
	m.publishState()
	if e, err := Encode(KindHistory, m.history()); err == nil {
		m.hub.Publish(e)
	}
	return st
}

// stopLoop cancels the training goroutine and waits for it; m.ctl is held.
func (m *Manager) stopLoop() {
	m.mu.Lock()
	cancel, done := m.cancel, m.loopDone
	m.cancel, m.loopDone = nil, nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Close stops training and ends every event stream. The manager refuses
// to start afterwards.
func (m *Manager) Close() {
	m.ctl.Lock()
	defer m.ctl.Unlock()
	m.stopLoop()
	m.finalCheckpoint()
	m.mu.Lock()
	m.closed = true
	if m.state == StateRunning {
		m.state = StatePaused
	}
	m.mu.Unlock()
	m.hub.Close()
}

// Subscribe adds a viewer, who first receives the current state, the
// history of the charts and the latest progress, evaluation and maps.
func (m *Manager) Subscribe() (*Sub, bool) {
	m.mu.Lock()
	st := m.stateLocked()
	latest := m.latest
	hist := m.historyLocked()
	m.mu.Unlock()
	var initial []Event
	if e, err := Encode(KindState, st); err == nil {
		initial = append(initial, e)
	}
	if e, err := Encode(KindHistory, hist); err == nil {
		initial = append(initial, e)
	}
	for _, e := range latest {
		if e.Wire != nil {
			initial = append(initial, e)
		}
	}
	return m.hub.Subscribe(initial...)
}

func (m *Manager) history() History {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.historyLocked()
}

func (m *Manager) historyLocked() History {
	h := History{Run: m.run}
	h.Loss = append([]Point{}, m.hist.Loss...)
	h.TrainAccuracy = append([]Point{}, m.hist.TrainAccuracy...)
	h.TestAccuracy = append([]Point{}, m.hist.TestAccuracy...)
	return h
}

func (m *Manager) publishState() {
	if e, err := Encode(KindState, m.State()); err == nil {
		m.hub.Publish(e)
	}
	// The progress event carries the state too: refresh it.
	m.mu.Lock()
	var p *Progress
	if m.latestProgress != nil {
		m.latestProgress.State = m.state
		cp := *m.latestProgress
		p = &cp
	}
	m.mu.Unlock()
	if p != nil {
		m.publish(KindProgress, p.Run, *p)
	}
}

// publish encodes v and, if run is still the current run, records it as
// the latest of its kind and broadcasts it.
func (m *Manager) publish(k Kind, run int, v any) {
	e, err := Encode(k, v)
	if err != nil {
		return
	}
	m.mu.Lock()
	if run != m.run {
		m.mu.Unlock()
		return
	}
	m.latest[k] = e
	m.mu.Unlock()
	m.hub.Publish(e)
}

// maxHistory bounds each chart's history; older points are thinned.
const maxHistory = 2000

func addPoint(ps []Point, p Point) []Point {
	if len(ps) >= maxHistory {
		// Keep every other point of the older half-resolution history.
		n := 0
		for i := 0; i < len(ps); i += 2 {
			ps[n] = ps[i]
			n++
		}
		ps = ps[:n]
	}
	return append(ps, p)
}

// engineStep is the engine's step count, if it tells one (0 otherwise).
func engineStep(eng Engine) int {
	if s, ok := eng.(interface{ Steps() int }); ok {
		return s.Steps()
	}
	return 0
}
