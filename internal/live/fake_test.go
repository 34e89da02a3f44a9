package live

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// fakeEngine trains nothing: each Step advances a counter after a short
// pause, so the manager and the hub can be tested quickly.
type fakeEngine struct {
	cfg       Config
	stepDelay time.Duration
	perEpoch  int // steps per epoch
	steps     atomic.Int64
	evals     atomic.Int64
	fullEvals atomic.Int64
	mapsBytes int // size of the feature map payload
	clock     *fakeClock
	evalCost  time.Duration // advances clock in Evaluate
	nanAfter  int64         // steps after which the loss is NaN (0: never)
	mapsCalls atomic.Int64
}

// fakeClock is a clock that only Step advances.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

func (f *fakeEngine) Step() StepInfo {
	if f.stepDelay > 0 {
		time.Sleep(f.stepDelay)
	}
	if f.clock != nil {
		f.clock.ns.Add(int64(10 * time.Millisecond))
	}
	s := int(f.steps.Add(1))
	ep := (s - 1) / f.perEpoch
	frac := float64(s-(ep*f.perEpoch)) / float64(f.perEpoch)
	loss := 2.3 / float64(s)
	if f.nanAfter > 0 && int64(s) > f.nanAfter {
		loss = math.NaN()
	}
	return StepInfo{Step: s, Epoch: ep + 1, EpochProgress: frac, Loss: loss,
		TrainAccuracy: 1 - 1/float64(s+1), ImagesPerSecond: 1000}
}

func (f *fakeEngine) Evaluate(limit int) Eval {
	f.evals.Add(1)
	if f.clock != nil {
		f.clock.ns.Add(int64(f.evalCost))
	}
	n := limit
	if limit <= 0 {
		f.fullEvals.Add(1)
		n = 10000
	}
	var c [10][10]int
	c[3][5] = 1
	return Eval{Step: int(f.steps.Load()), TestAccuracy: math.NaN(), Images: n, Full: limit <= 0, Confusion: c,
		Misclassified: []Miss{{Index: 7, Label: 3, Pred: 5, Image: QuantizeImage(make([]float32, 784))}}}
}

func (f *fakeEngine) Maps() Maps {
	f.mapsCalls.Add(1)
	n := f.mapsBytes
	if n == 0 {
		n = 16
	}
	return Maps{Step: int(f.steps.Load()), Filters: QuantizeSigned("conv1", 1, 1, n, make([]float32, n))}
}

func (f *fakeEngine) Model() any     { return int(f.steps.Load()) }
func (f *fakeEngine) TrainSize() int { return f.perEpoch * 10 }

// fakeFactory records the engines it made.
type fakeFactory struct {
	mu        sync.Mutex
	engines   []*fakeEngine
	err       error
	stepDelay time.Duration
	perEpoch  int
	mapsBytes int
	clock     *fakeClock
	evalCost  time.Duration
	nanAfter  int64
}

func (ff *fakeFactory) make(_ context.Context, cfg Config) (Engine, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.err != nil {
		return nil, ff.err
	}
	pe := ff.perEpoch
	if pe == 0 {
		pe = 1 << 30
	}
	e := &fakeEngine{cfg: cfg, stepDelay: ff.stepDelay, perEpoch: pe, mapsBytes: ff.mapsBytes, clock: ff.clock, evalCost: ff.evalCost, nanAfter: ff.nanAfter}
	ff.engines = append(ff.engines, e)
	return e, nil
}

func (ff *fakeFactory) last() *fakeEngine {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if len(ff.engines) == 0 {
		return nil
	}
	return ff.engines[len(ff.engines)-1]
}

// FilterUpdate makes the fake a FilterWatcher: its "update" names the step.
func (f *fakeEngine) FilterUpdate() (FilterUpdate, bool) {
	s := int(f.steps.Load())
	if s == 0 {
		return FilterUpdate{}, false
	}
	return FilterUpdate{Step: s, Optimizer: "sgd", C: 1, H: 1, W: 1, Before: []float32{1}, Grad: []float32{1},
		MPrev: []float32{0}, M: []float32{1}, Update: []float32{0.5}, After: []float32{0.5}}, true
}
