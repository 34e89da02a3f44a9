// Command train trains one of convlab's MNIST networks with convlab's own
// convolution engine and prints its progress.
//
//	go run ./cmd/train -net reference -epochs 3 [-seed 1] [-out model.safetensors] [-mnist DIR]
//	go run ./cmd/train -net reference -target 0.98   # time to first reach 98% test accuracy
//
// The progress (on stderr) shows images per second, the epoch's ETA and
// the running loss: one line redrawn in place on a terminal, a plain line
// every 5 s and at each epoch's end otherwise (a log, a pipe, CI). After
// each epoch the accuracy on the 10,000 test images is printed. With -target the full test set is evaluated every -eval-every
// steps and training stops at the first evaluation that reaches it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/convlab/convlab/mnist"
	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "train:", err)
		}
		os.Exit(2)
	}
}

type options struct {
	cfg       mnist.TrainConfig
	epochs    int
	out       string
	mnistDir  string
	target    float64
	evalEvery int
	limit     int
	saveEpoch bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.Net, "net", "reference", "network: "+strings.Join(mnist.Presets, " or "))
	fs.StringVar(&o.cfg.Optimizer, "optimizer", "adam", "optimizer: adam or sgd (momentum 0.9)")
	fs.Float64Var(&o.cfg.LR, "lr", 0, "learning rate (default 0.001 for adam, 0.01 for sgd)")
	fs.IntVar(&o.cfg.BatchSize, "batch", 100, "batch size")
	fs.IntVar(&o.cfg.Shift, "shift", 0, "data augmentation: move each training image by up to this many pixels (0: off)")
	fs.BoolVar(&o.cfg.Augment, "augment", false, "data augmentation: random rotation (±15°), scale (±15%), shift (±3 px) and stroke thickness")
	fs.IntVar(&o.cfg.AugmentEpochs, "augment-epochs", 0, "with -augment: augment only the first N epochs, the rest train on the plain images (0: all)")
	fs.Float64Var(&o.cfg.LRDecay, "lr-decay", 0, "multiply the learning rate by this after every epoch (0: constant)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "seed of the initial weights and the shuffling")
	fs.IntVar(&o.epochs, "epochs", 3, "epochs to train (with -target: at most)")
	fs.StringVar(&o.out, "out", "", "save the trained network here (safetensors, written atomically)")
	fs.StringVar(&o.mnistDir, "mnist", "", "folder with the MNIST files (default: $MNIST_DIR, then the Go module cache)")
	fs.Float64Var(&o.target, "target", 0, "stop at the first evaluation reaching this test accuracy (e.g. 0.98) and report the time")
	fs.IntVar(&o.evalEvery, "eval-every", 100, "with -target: evaluate the full test set every this many steps")
	fs.IntVar(&o.limit, "limit", 0, "train on the first N training images only (0: all 60,000)")
	fs.BoolVar(&o.saveEpoch, "save-epochs", false, "with -out: also save the network after every epoch as <out>.epoch<N>")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.cfg.BatchSize < 1 {
		return o, fmt.Errorf("the batch size must be at least 1, got %d", o.cfg.BatchSize)
	}
	o.cfg = o.cfg.WithDefaults()
	if err := o.cfg.Validate(); err != nil {
		return o, err
	}
	switch {
	case o.epochs < 1 || o.epochs > 1000:
		return o, fmt.Errorf("-epochs must be between 1 and 1000, got %d", o.epochs)
	case o.target < 0 || o.target > 1:
		return o, fmt.Errorf("-target is a fraction between 0 and 1 (0.98 for 98%%), got %g", o.target)
	case o.evalEvery < 1:
		return o, fmt.Errorf("-eval-every must be at least 1, got %d", o.evalEvery)
	case o.limit < 0:
		return o, fmt.Errorf("-limit cannot be negative")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	dir, err := mnist.Locate(o.mnistDir, getenv)
	if err != nil {
		return err
	}
	train, test, err := mnist.LoadDir(dir)
	if err != nil {
		return err
	}
	if o.limit > 0 && o.limit < train.N {
		train = train.Slice(0, o.limit)
	}
	tr, err := mnist.NewTrainer(o.cfg, train, test)
	if err != nil {
		return err
	}
	c := tr.Config()
	var extra string
	if c.LRDecay != 0 {
		extra += fmt.Sprintf(", lr ×%g per epoch", c.LRDecay)
	}
	if c.Shift != 0 {
		extra += fmt.Sprintf(", random shift ±%d", c.Shift)
	}
	if c.Augment {
		extra += ", augmented"
		if c.AugmentEpochs > 0 {
			extra += fmt.Sprintf(" (the first %d epochs)", c.AugmentEpochs)
		}
	}
	fmt.Fprintf(stdout, "training %s (%d parameters) with %s lr %g, batch %d, seed %d%s, on %d images; test set %d images\n",
		c.Net, tr.Net().ParamCount(), c.Optimizer, c.LR, c.BatchSize, c.Seed, extra, train.N, test.N)

	start := time.Now()
	var evalTime time.Duration
	bar := newProgressBar(stderr, o.epochs, tr.StepsPerEpoch())
	var last mnist.Progress
	var acc float64
	reached := false
	for tr.Epoch() < o.epochs || last.EpochProgress < 1 {
		if err := ctx.Err(); err != nil {
			bar.clear()
			return err
		}
		last = tr.Step()
		bar.update(last, false)
		if o.target > 0 && last.Step%o.evalEvery == 0 {
			t0 := time.Now()
			e := tr.Evaluate(0)
			evalTime += time.Since(t0)
			if e.Accuracy >= o.target {
				bar.clear()
				wall := time.Since(start)
				fmt.Fprintf(stdout, "reached %.2f%% test accuracy (target %.2f%%) after %d steps (%.2f epochs): wall time %.1fs (%.1fs training, %.1fs evaluating)\n",
					100*e.Accuracy, 100*o.target, last.Step, float64(last.Images)/float64(train.N), wall.Seconds(), (wall - evalTime).Seconds(), evalTime.Seconds())
				acc, reached = e.Accuracy, true
				break
			}
		}
		if last.EpochProgress == 1 {
			bar.update(last, true)
			t0 := time.Now()
			e := tr.Evaluate(0)
			evalTime += time.Since(t0)
			bar.clear()
			acc = e.Accuracy
			fmt.Fprintf(stdout, "epoch %d: test accuracy %.2f%% (loss %.4f), train loss %.4f, train accuracy %.2f%%, %.0f images/s, %.1fs\n",
				last.Epoch, 100*e.Accuracy, e.Loss, last.RunningLoss, 100*last.RunningAccuracy, last.ImagesPerSecond, time.Since(start).Seconds())
			if o.saveEpoch && o.out != "" {
				p := fmt.Sprintf("%s.epoch%d", o.out, last.Epoch)
				if err := tr.Net().Save(p); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "saved %s\n", p)
			}
			if tr.Epoch() >= o.epochs {
				break
			}
		}
	}
	if o.target > 0 && !reached {
		fmt.Fprintf(stdout, "did not reach %.2f%% test accuracy in %d epochs (last %.2f%%)\n", 100*o.target, o.epochs, 100*acc)
	}
	wall := time.Since(start)
	fmt.Fprintf(stdout, "done: %s, seed %d, %d steps, wall time %.1fs, test accuracy %.2f%%\n", c.Net, c.Seed, last.Step, wall.Seconds(), 100*acc)
	if o.out != "" {
		if err := tr.Net().Save(o.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "saved %s\n", o.out)
	}
	return nil
}

// progressBar shows the training's progress on w. On a terminal it
// redraws one line in place with \r, at most ten times a second. Into a
// file, a pipe or CI (w is not a terminal) it prints a plain line every
// plainEvery and one at each epoch's end, so a log holds a few readable
// lines instead of thousands of carriage-returned updates.
type progressBar struct {
	w        io.Writer
	tty      bool
	epochs   int
	perEpoch int
	now      func() time.Time // time.Now; tests set a fake clock
	lastDraw time.Time
	drawn    bool
}

// plainEvery is how often a non-terminal progress line is printed.
const plainEvery = 5 * time.Second

func newProgressBar(w io.Writer, epochs, perEpoch int) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w), epochs: epochs, perEpoch: perEpoch, now: time.Now}
}

// isTerminal reports whether w is a terminal (golang.org/x/term).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// update shows p; force (at an epoch's end) draws regardless of the time.
func (b *progressBar) update(p mnist.Progress, force bool) {
	now := b.now()
	every := 100 * time.Millisecond
	if !b.tty {
		every = plainEvery
	}
	if !force && now.Sub(b.lastDraw) < every {
		return
	}
	if b.lastDraw.IsZero() && !b.tty && !force {
		b.lastDraw = now // the first plain line after plainEvery, not at step 1
		return
	}
	b.lastDraw = now
	eta := "--:--"
	if p.ImagesPerSecond > 0 {
		left := (1 - p.EpochProgress) * float64(b.perEpoch) * float64(p.Images) / float64(p.Step) / p.ImagesPerSecond
		eta = fmt.Sprintf("%d:%02d", int(left)/60, int(left)%60)
	}
	if !b.tty {
		fmt.Fprintf(b.w, "epoch %d/%d %3.0f%%  step %d  %.0f img/s  ETA %s  loss %.4f  lr %.3g\n",
			p.Epoch, b.epochs, 100*p.EpochProgress, p.Step, p.ImagesPerSecond, eta, p.RunningLoss, p.LR)
		return
	}
	const width = 30
	fill := int(p.EpochProgress * width)
	fmt.Fprintf(b.w, "\repoch %d/%d [%s%s] %3.0f%%  %6.0f img/s  ETA %s  loss %.4f ",
		p.Epoch, b.epochs, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*p.EpochProgress, p.ImagesPerSecond, eta, p.RunningLoss)
	b.drawn = true
}

// clear erases the terminal line (nothing to do for plain lines).
func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", 100))
		b.drawn = false
	}
}
