package mnist

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Bounds of a TrainConfig.
const (
	MaxBatchSize = 1000
	MinLR        = 1e-6
	MaxLR        = 1.0
	MaxShift     = 4
)

// TrainConfig says what to train and how. The zero value of a field means
// its default (see WithDefaults).
type TrainConfig struct {
	Net       string  `json:"net"`        // "small" | "reference"
	Optimizer string  `json:"optimizer"`  // "adam" | "sgd" (momentum 0.9)
	LR        float64 `json:"lr"`         // learning rate
	BatchSize int     `json:"batch_size"` // images per step
	Seed      uint64  `json:"seed"`       // initial weights and shuffling
	// Shift, if positive, moves each training image by a random whole
	// number of pixels in [-Shift, Shift] in each direction (zeros fill
	// in): a simple data augmentation. 0 (the default) trains on the
	// images as they are.
	Shift int `json:"shift,omitempty"`
	// Augment, if true, changes each training image by a random
	// Augmentation (rotation, scale, shift, stroke thickness; see
	// augment.go) drawn from the seed. It replaces Shift (set one or the
	// other).
	Augment bool `json:"augment,omitempty"`
	// AugmentEpochs, with Augment, augments only the first AugmentEpochs
	// epochs; the later ones train on the images as they are (a short
	// clean finish at the end of a learning-rate decay). 0: every epoch.
	AugmentEpochs int `json:"augment_epochs,omitempty"`
	// LRDecay, if positive, multiplies the learning rate by this factor
	// after every epoch (torch.optim.lr_scheduler.ExponentialLR's gamma):
	// epoch e trains with LR·LRDecay^(e-1). 0 (the default) keeps LR.
	LRDecay float64 `json:"lr_decay,omitempty"`
}

// WithDefaults fills the zero fields: net "reference", optimizer "adam",
// lr 0.001 for Adam and 0.01 for SGD, batch size 100. Seed 0 stays 0 (a
// valid seed).
func (c TrainConfig) WithDefaults() TrainConfig {
	if c.Net == "" {
		c.Net = "reference"
	}
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	if c.LR == 0 {
		c.LR = 0.001
		if c.Optimizer == "sgd" {
			c.LR = 0.01
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	return c
}

// Validate checks a configuration (after WithDefaults) with messages for a
// student.
func (c TrainConfig) Validate() error {
	if _, err := build(c.Net); err != nil {
		return err
	}
	if c.Optimizer != "adam" && c.Optimizer != "sgd" {
		return fmt.Errorf("unknown optimizer %q: choose adam or sgd", c.Optimizer)
	}
	if !(c.LR >= MinLR && c.LR <= MaxLR) { // also catches NaN
		return fmt.Errorf("the learning rate must be between %g and %g, got %g", MinLR, MaxLR, c.LR)
	}
	if c.BatchSize < 1 || c.BatchSize > MaxBatchSize {
		return fmt.Errorf("the batch size must be between 1 and %d, got %d", MaxBatchSize, c.BatchSize)
	}
	if c.Shift < 0 || c.Shift > MaxShift {
		return fmt.Errorf("the random shift must be between 0 and %d pixels, got %d", MaxShift, c.Shift)
	}
	if c.Augment && c.Shift != 0 {
		return errors.New("choose either the random shift or augment (which shifts too), not both")
	}
	if c.AugmentEpochs < 0 || (c.AugmentEpochs > 0 && !c.Augment) {
		return fmt.Errorf("augment_epochs must be 0 (every epoch) or, with augment, a positive number of epochs, got %d", c.AugmentEpochs)
	}
	if !(c.LRDecay >= 0 && c.LRDecay <= 1) {
		return fmt.Errorf("the learning-rate decay must be between 0 (off) and 1, got %g", c.LRDecay)
	}
	return nil
}

// EpochLR is the learning rate of epoch e (from 1) under LRDecay.
func (c TrainConfig) EpochLR(e int) float64 {
	if c.LRDecay == 0 || e <= 1 {
		return c.LR
	}
	return c.LR * math.Pow(c.LRDecay, float64(e-1))
}

// Progress is reported after every training step.
type Progress struct {
	Step          int     `json:"step"`           // steps done so far (1 after the first)
	Epoch         int     `json:"epoch"`          // the epoch this step belongs to, from 1
	EpochProgress float64 `json:"epoch_progress"` // fraction of that epoch done, in (0, 1]
	Loss          float64 `json:"loss"`           // this batch's mean cross-entropy loss
	TrainAccuracy float64 `json:"train_accuracy"` // this batch's accuracy (before the update)
	// RunningLoss and RunningAccuracy are the means over the epoch so far.
	RunningLoss     float64 `json:"running_loss"`
	RunningAccuracy float64 `json:"running_accuracy"`
	// ImagesPerSecond is the recent training speed (time spent in Step,
	// smoothed over about 20 steps).
	ImagesPerSecond float64 `json:"images_per_second"`
	Images          int     `json:"images"` // images seen so far
	LR              float64 `json:"lr"`     // the learning rate of this step
}

// Miss is a misclassified test image.
type Miss struct {
	Index int       `json:"index"` // in the test set
	Label uint8     `json:"label"`
	Pred  uint8     `json:"pred"`
	Image []float32 `json:"image"` // 784 pixels in [0,1], a copy
}

// Eval is a test-set evaluation.
type Eval struct {
	Step      int                   `json:"step"`
	Images    int                   `json:"images"` // how many test images were used
	Accuracy  float64               `json:"accuracy"`
	Loss      float64               `json:"loss"`
	Confusion [Classes][Classes]int `json:"confusion"` // [label][prediction]
	// Misclassified holds the first MaxMisses mistakes in test-set order.
	Misclassified []Miss `json:"misclassified"`
}

// MaxMisses bounds Eval.Misclassified.
const MaxMisses = 48

// evalBatch is the smallest batch Evaluate runs (and Net.Evaluate's).
const evalBatch = 100

// Trainer trains a Net on a Set with minibatches, one Step at a time. It
// is not safe for concurrent use.
type Trainer struct {
	cfg         TrainConfig
	net         *Net
	opt         Optimizer
	train, test *Set

	rng    *rand.Rand
	augRng *rand.Rand
	perm   []int32
	pos    int // next index into perm
	epoch  int
	step   int
	images int

	// The generators' sources, kept so that a checkpoint can save and
	// restore their state (checkpoint.go).
	rngSrc, augSrc *rand.PCG

	ws map[int]*workspace // training workspaces by batch size
	x  []float32
	y  []uint8
	// scratch is Augmentation.Apply's buffer.
	scratch []float32

	watch *Conv1Update // WatchConv1's record, or nil

	epochLoss    float64
	epochCorrect int
	epochImages  int
	secPerImage  float64 // smoothed
}

// NewTrainer makes a Trainer with a fresh network (cfg.WithDefaults()
// must Validate). test may be nil (Evaluate then returns an empty Eval).
func NewTrainer(cfg TrainConfig, train, test *Set) (*Trainer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if train == nil || train.N < 1 || len(train.Pix) != train.N*Pixels || len(train.Labels) != train.N {
		return nil, errors.New("the training set is empty or inconsistent")
	}
	if test != nil && (len(test.Pix) != test.N*Pixels || len(test.Labels) != test.N) {
		return nil, errors.New("the test set is inconsistent")
	}
	net, err := NewNet(cfg.Net, cfg.Seed)
	if err != nil {
		return nil, err
	}
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	t := &Trainer{
		cfg: cfg, net: net, opt: opt, train: train, test: test,
		rngSrc: rand.NewPCG(cfg.Seed, 0x73687566666c65), // "shuffle"
		augSrc: rand.NewPCG(cfg.Seed, 0x6175676d656e74), // "augment"
		perm:   make([]int32, train.N),
		ws:     map[int]*workspace{},
		x:      make([]float32, cfg.BatchSize*Pixels),
		y:      make([]uint8, cfg.BatchSize),
	}
	if cfg.Augment {
		t.scratch = make([]float32, Pixels)
	}
	t.rng, t.augRng = rand.New(t.rngSrc), rand.New(t.augSrc)
	for i := range t.perm {
		t.perm[i] = int32(i)
	}
	t.pos = train.N // the first Step starts epoch 1
	return t, nil
}

// Config is the trainer's configuration with defaults filled in.
func (t *Trainer) Config() TrainConfig { return t.cfg }

// Net is the network being trained (changes with every Step; Clone it
// under your own lock for concurrent readers).
func (t *Trainer) Net() *Net { return t.net }

// Epoch is the current epoch (0 before the first Step).
func (t *Trainer) Epoch() int { return t.epoch }

// StepsPerEpoch is the number of Steps in one epoch.
func (t *Trainer) StepsPerEpoch() int { return (t.train.N + t.cfg.BatchSize - 1) / t.cfg.BatchSize }

// shuffle is a Fisher–Yates shuffle of the epoch order.
func (t *Trainer) shuffle() {
	p := t.perm
	for i := len(p) - 1; i > 0; i-- {
		j := t.rng.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// Step trains on one minibatch (the epoch's last batch may be smaller) and
// reports progress. A new epoch reshuffles the training set, determined by
// the seed. In steady state Step allocates nothing.
func (t *Trainer) Step() Progress {
	start := time.Now()
	if t.pos >= t.train.N {
		t.shuffle()
		t.pos = 0
		t.epoch++
		t.epochLoss, t.epochCorrect, t.epochImages = 0, 0, 0
	}
	b := min(t.cfg.BatchSize, t.train.N-t.pos)
	x, y := t.x[:b*Pixels], t.y[:b]
	for i, k := range t.perm[t.pos : t.pos+b] {
		src, dst := t.train.Pix[int(k)*Pixels:(int(k)+1)*Pixels], x[i*Pixels:(i+1)*Pixels]
		if t.cfg.Augment && (t.cfg.AugmentEpochs == 0 || t.epoch <= t.cfg.AugmentEpochs) {
			RandomAugmentation(t.augRng).Apply(dst, src, t.scratch)
		} else if s := t.cfg.Shift; s > 0 {
			shiftImage(dst, src, t.augRng.IntN(2*s+1)-s, t.augRng.IntN(2*s+1)-s)
		} else {
			convertPixels(dst, src)
		}
		y[i] = t.train.Labels[k]
	}
	t.pos += b
	ws := t.workspace(b)
	logits := t.net.forward(ws, x, b)
	loss, correct := softmaxCrossEntropy(ws.probs, ws.dlogits, logits, y, b, Classes)
	t.net.backward(ws, ws.dlogits, b)
	if t.cfg.LRDecay != 0 {
		setLR(t.opt, t.cfg.EpochLR(t.epoch))
	}
	if t.watch != nil { // after the learning rate is set: Preview uses it
		t.recordConv1()
	}
	t.opt.Step(t.net.ps)

	t.step++
	t.images += b
	t.epochLoss += loss * float64(b)
	t.epochCorrect += correct
	t.epochImages += b
	spi := time.Since(start).Seconds() / float64(b)
	if t.secPerImage == 0 {
		t.secPerImage = spi
	} else {
		t.secPerImage += 0.05 * (spi - t.secPerImage)
	}
	p := Progress{
		Step: t.step, Epoch: t.epoch, EpochProgress: float64(t.pos) / float64(t.train.N),
		Loss: loss, TrainAccuracy: float64(correct) / float64(b),
		RunningLoss:     t.epochLoss / float64(t.epochImages),
		RunningAccuracy: float64(t.epochCorrect) / float64(t.epochImages),
		Images:          t.images,
		LR:              t.cfg.EpochLR(t.epoch),
	}
	if t.secPerImage > 0 {
		p.ImagesPerSecond = 1 / t.secPerImage
	}
	return p
}

// setLR sets the learning rate of Adam or SGD.
func setLR(o Optimizer, lr float64) {
	switch o := o.(type) {
	case *Adam:
		o.LR = lr
	case *SGD:
		o.LR = lr
	}
}

// workspace returns the training workspace for batches of b.
func (t *Trainer) workspace(b int) *workspace {
	ws := t.ws[b]
	if ws == nil {
		ws = t.net.newWorkspace(b, true)
		ws.poolFirst = true
		t.ws[b] = ws
	}
	return ws
}

// shiftImage writes src (28×28 pixel bytes) moved by dx columns and dy
// rows to dst as float32 in [0,1], filling with zeros.
func shiftImage(dst []float32, src []uint8, dx, dy int) {
	clear(dst)
	for y := max(0, dy); y < min(ImageSize, ImageSize+dy); y++ {
		sy := y - dy
		x0, x1 := max(0, dx), min(ImageSize, ImageSize+dx)
		convertPixels(dst[y*ImageSize+x0:y*ImageSize+x1], src[sy*ImageSize+x0-dx:sy*ImageSize+x1-dx])
	}
}

// Evaluate measures the network on the first limit test images (all of
// them if limit ≤ 0 or larger than the set).
func (t *Trainer) Evaluate(limit int) Eval {
	e := Eval{Step: t.step}
	if t.test == nil {
		return e
	}
	// The training workspace has every buffer a forward pass needs:
	// evaluating in it costs no extra memory. Tiny batches would make
	// evaluation slow, so they evaluate in batches of evalBatch.
	evaluate(&e, t.net, t.workspace(max(t.cfg.BatchSize, evalBatch)), t.test, limit)
	return e
}

// Evaluate measures n on the first limit images of s (all if limit ≤ 0).
func (n *Net) Evaluate(s *Set, limit int) Eval {
	var e Eval
	ws := n.newWorkspace(min(evalBatch, max(s.N, 1)), false)
	ws.poolFirst = true
	evaluate(&e, n, ws, s, limit)
	return e
}

func evaluate(e *Eval, n *Net, ws *workspace, s *Set, limit int) {
	total := s.N
	if limit > 0 && limit < total {
		total = limit
	}
	var loss float64
	correct := 0
	for lo := 0; lo < total; lo += ws.n {
		b := min(ws.n, total-lo)
		x := ws.evalInput()[:b*Pixels]
		convertPixels(x, s.Pix[lo*Pixels:(lo+b)*Pixels])
		logits := n.forward(ws, x, b)
		l, _ := softmaxCrossEntropy(nil, nil, logits, s.Labels[lo:lo+b], b, Classes)
		loss += l * float64(b)
		for i := range b {
			row := logits[i*Classes : (i+1)*Classes]
			pred := uint8(argmax(row))
			lab := s.Labels[lo+i]
			e.Confusion[lab%Classes][pred]++
			if pred == lab {
				correct++
			} else if len(e.Misclassified) < MaxMisses {
				k := lo + i
				e.Misclassified = append(e.Misclassified, Miss{Index: k, Label: lab, Pred: pred, Image: s.Image(k)})
			}
		}
	}
	e.Images = total
	if total > 0 {
		e.Accuracy = float64(correct) / float64(total)
		e.Loss = loss / float64(total)
	}
}

// argmax is the index of the first largest value (0 if all are NaN).
func argmax(row []float32) int {
	k := 0
	for i, v := range row {
		if v > row[k] || row[k] != row[k] {
			k = i
		}
	}
	return k
}

// Run trains for epochs full epochs (counted from where the trainer is),
// calling progress (if not nil) after every step, until done or ctx ends;
// it returns ctx.Err() when stopped early.
func (t *Trainer) Run(ctx context.Context, epochs int, progress func(Progress)) error {
	end := t.epoch + epochs
	if t.pos < t.train.N && t.epoch > 0 {
		end-- // the current epoch is unfinished: finish it as the first one
	}
	for t.epoch < end || t.pos < t.train.N {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := t.Step()
		if progress != nil {
			progress(p)
		}
	}
	return nil
}
