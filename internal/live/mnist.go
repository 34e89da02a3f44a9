package live

import (
	"context"

	"sync"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/mnist"
)

// MaxGallery bounds the misclassified digits sent with an evaluation.
const MaxGallery = 24

// Seed of every live run: a class that resets gets the same run again.
const Seed = 1

// MNIST loads the data set once, on the first start, and builds engines
// that train mnist networks on it.
type MNIST struct {
	FlagDir string              // the -mnist flag ("" = MNIST_DIR, then the module cache)
	Getenv  func(string) string // os.Getenv
	mu      sync.Mutex          // guards train, test
	train   *mnist.Set
	test    *mnist.Set
}

// Data returns the training and test sets, loading them the first time.
// A missing or corrupt data set is a 503 error that says what to run.
func (d *MNIST) Data() (train, test *mnist.Set, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.train != nil {
		return d.train, d.test, nil
	}
	getenv := d.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	dir, err := mnist.Locate(d.FlagDir, getenv)
	if err != nil {
		return nil, nil, apperr.New(apperr.Unavailable, "train_no_mnist", apperr.A("reason", err.Error())).Wrap(err)
	}
	tr, te, err := mnist.LoadDir(dir)
	if err != nil {
		return nil, nil, apperr.New(apperr.Unavailable, "train_mnist_unreadable", apperr.A("reason", err.Error())).Wrap(err)
	}
	d.train, d.test = tr, te
	return tr, te, nil
}

// Factory builds an engine for cfg (the Factory of a Manager).
func (d *MNIST) Factory(_ context.Context, cfg Config) (Engine, error) {
	train, test, err := d.Data()
	if err != nil {
		return nil, err
	}
	return NewMNISTEngine(cfg, train, test)
}

// NewMNISTEngine wraps a fresh mnist.Trainer for cfg.
func NewMNISTEngine(cfg Config, train, test *mnist.Set) (Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr, err := mnist.NewTrainer(mnist.TrainConfig{Net: cfg.Net, Optimizer: cfg.Optimizer, LR: cfg.LR,
		BatchSize: cfg.BatchSize, Seed: Seed, Augment: cfg.Augment}, train, test)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "train_config", apperr.A("reason", err.Error())).Wrap(err)
	}
	if test == nil || test.N == 0 {
		return nil, apperr.New(apperr.Unavailable, "train_no_test_set")
	}
	return newMNISTEngine(tr, train, test), nil
}

// AugmentSamples is how many augmented training images a maps event
// shows when the run augments.
const AugmentSamples = 6

func newMNISTEngine(tr *mnist.Trainer, train, test *mnist.Set) *mnistEngine {
	e := &mnistEngine{tr: tr, train: train, test: test, digit: 0, digitImg: test.Image(0), step: tr.Steps()}
	if tr.Config().Augment {
		// The first training images, each changed as training changes
		// them (a fixed seed, so every viewer sees the same samples).
		for i := range min(AugmentSamples, train.N) {
			_, imgs := mnist.AugmentedSamples(train.Pix[i*mnist.Pixels:(i+1)*mnist.Pixels], uint64(i), 1)
			e.augmented = append(e.augmented, QuantizeUnsigned("augmented", 1, mnist.ImageSize, mnist.ImageSize, imgs[0]))
		}
	}
	// Record the first conv layer's update of every step (filter events).
	e.watch = new(mnist.Conv1Update)
	tr.WatchConv1(e.watch)
	return e
}

// FilterUpdate implements FilterWatcher from the Trainer's own record.
func (e *mnistEngine) FilterUpdate() (FilterUpdate, bool) {
	u := e.watch
	n := len(u.Adam) + len(u.SGD)
	if u.Step == 0 || n == 0 {
		return FilterUpdate{}, false
	}
	f := FilterUpdate{Step: u.Step, Optimizer: u.Optimizer, C: u.Filters, H: u.KH, W: u.KW}
	cols := func(k int) [][]float32 {
		out := make([][]float32, k)
		for i := range out {
			out[i] = make([]float32, n)
		}
		return out
	}
	if len(u.Adam) > 0 {
		d0 := u.Adam[0]
		f.LR, f.T, f.Beta1, f.Beta2, f.Eps, f.BC1, f.BC2, f.StepSize = d0.LR, d0.T, d0.Beta1, d0.Beta2, d0.Eps, d0.BC1, d0.BC2, float64(d0.StepSize)
		c := cols(9)
		for i, d := range u.Adam {
			c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i], c[6][i], c[7][i], c[8][i] =
				d.Before, d.Grad, d.MPrev, d.M, d.VPrev, d.V, d.Denom, d.Update, d.After
		}
		f.Before, f.Grad, f.MPrev, f.M, f.VPrev, f.V, f.Denom, f.Update, f.After = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
	} else {
		d0 := u.SGD[0]
		f.LR, f.Momentum = d0.LR, d0.Momentum
		c := cols(6)
		for i, d := range u.SGD {
			c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i] = d.Before, d.Grad, d.BufPrev, d.Buf, d.Update, d.After
		}
		f.Before, f.Grad, f.MPrev, f.M, f.Update, f.After = c[0], c[1], c[2], c[3], c[4], c[5]
	}
	for _, s := range [][]float32{f.Before, f.Grad, f.MPrev, f.M, f.VPrev, f.V, f.Denom, f.Update, f.After} {
		finite32(s)
	}
	return f, true
}

// mnistEngine adapts mnist.Trainer to Engine.
type mnistEngine struct {
	tr          *mnist.Trainer
	train, test *mnist.Set
	digit       int       // index of the fixed test digit whose feature maps are shown
	digitImg    []float32 // its pixels, converted once
	step        int
	watch       *mnist.Conv1Update // the Trainer's record of the last step at conv1
	augmented   []Map              // with Augment: a few augmented training images, made once
}

func (e *mnistEngine) Step() StepInfo {
	p := e.tr.Step()
	e.step = p.Step
	return StepInfo{Step: p.Step, Epoch: p.Epoch, EpochProgress: p.EpochProgress, Loss: p.Loss,
		TrainAccuracy: p.TrainAccuracy, ImagesPerSecond: p.ImagesPerSecond}
}

func (e *mnistEngine) Evaluate(limit int) Eval {
	ev := e.tr.Evaluate(limit)
	out := Eval{Step: ev.Step, TestAccuracy: ev.Accuracy, Images: ev.Images, Full: ev.Images == e.test.N,
		Confusion: ev.Confusion, Misclassified: []Miss{}}
	for _, m := range ev.Misclassified {
		if len(out.Misclassified) == MaxGallery {
			break
		}
		out.Misclassified = append(out.Misclassified, Miss{Index: m.Index, Label: int(m.Label), Pred: int(m.Pred),
			Image: QuantizeImage(m.Image)})
	}
	return out
}

func (e *mnistEngine) Maps() Maps {
	net := e.tr.Net()
	img := e.digitImg
	f := net.Filters()
	out := Maps{
		Step:      e.step,
		Digit:     QuantizeUnsigned("input", 1, mnist.ImageSize, mnist.ImageSize, img),
		Index:     e.digit,
		Label:     int(e.test.Labels[e.digit]),
		Filters:   QuantizeSigned(f.Layer, f.C, f.H, f.W, f.Data),
		Augmented: e.augmented,
	}
	for _, fm := range net.FeatureMaps(img) {
		out.FeatureMaps = append(out.FeatureMaps, QuantizeUnsigned(fm.Layer, fm.C, fm.H, fm.W, fm.Data))
	}
	return out
}

func (e *mnistEngine) Model() any     { return e.tr.Net().Clone() }
func (e *mnistEngine) TrainSize() int { return e.train.N }

// LiveNet returns the manager's current model as an mnist network, or nil
// when no run has started (or after a reset).
func (m *Manager) LiveNet() *mnist.Net {
	n, _ := m.Model().(*mnist.Net)
	return n
}

// Steps is the number of training steps done (for engineStep).
func (e *mnistEngine) Steps() int { return e.step }

// LiveSnapshot is LiveNet with the training step its weights are from:
// one consistent copy, never changed by training (nil before a run).
func (m *Manager) LiveSnapshot() (*mnist.Net, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, _ := m.model.(*mnist.Net)
	return n, m.modelStep
}
