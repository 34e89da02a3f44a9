package mnist

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestTrainConfigValidate(t *testing.T) {
	ok := TrainConfig{}.WithDefaults()
	if ok != (TrainConfig{Net: "reference", Optimizer: "adam", LR: 0.001, BatchSize: 100}) {
		t.Errorf("defaults = %+v", ok)
	}
	if sgd := (TrainConfig{Optimizer: "sgd"}).WithDefaults(); sgd.LR != 0.01 {
		t.Errorf("sgd default lr = %v", sgd.LR)
	}
	for _, tc := range []struct {
		cfg  TrainConfig
		want string // "" = valid
	}{
		{ok, ""},
		{TrainConfig{Net: "small", Optimizer: "sgd", LR: 0.05, BatchSize: 1}, ""},
		{TrainConfig{Net: "big", Optimizer: "adam", LR: 0.001, BatchSize: 10}, "unknown network"},
		{TrainConfig{Net: "small", Optimizer: "rmsprop", LR: 0.001, BatchSize: 10}, "optimizer"},
		{TrainConfig{Net: "small", Optimizer: "adam", LR: 0, BatchSize: 10}, "learning rate"},
		{TrainConfig{Net: "small", Optimizer: "adam", LR: 2, BatchSize: 10}, "learning rate"},
		{TrainConfig{Net: "small", Optimizer: "adam", LR: -1, BatchSize: 10}, "learning rate"},
		{TrainConfig{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 0}, "batch size"},
		{TrainConfig{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 5000}, "batch size"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// Same seed, same run: the shuffling and the weights come from the seed.
func TestTrainerDeterministic(t *testing.T) {
	set := RandomSet(50, 1)
	run := func(seed uint64) (*Trainer, []Progress) {
		tr, err := NewTrainer(TrainConfig{Net: "small", BatchSize: 20, Seed: seed}, set, set)
		if err != nil {
			t.Fatal(err)
		}
		var ps []Progress
		for range 7 { // 3 steps per epoch (20, 20, 10): crosses two epochs
			ps = append(ps, tr.Step())
		}
		return tr, ps
	}
	a, pa := run(5)
	b, pb := run(5)
	c, _ := run(6)
	for i := range pa {
		if pa[i].Loss != pb[i].Loss || pa[i].Step != i+1 {
			t.Fatalf("step %d: loss %v vs %v", i, pa[i].Loss, pb[i].Loss)
		}
	}
	want := []struct {
		epoch int
		prog  float64
	}{{1, 0.4}, {1, 0.8}, {1, 1}, {2, 0.4}, {2, 0.8}, {2, 1}, {3, 0.4}}
	for i, w := range want {
		if pa[i].Epoch != w.epoch || pa[i].EpochProgress != w.prog {
			t.Errorf("step %d: epoch %d progress %v, want %d %v", i+1, pa[i].Epoch, pa[i].EpochProgress, w.epoch, w.prog)
		}
	}
	if pa[6].Images != 6*50/3+20 || pa[2].ImagesPerSecond <= 0 {
		t.Errorf("images %d, images/s %v", pa[6].Images, pa[2].ImagesPerSecond)
	}
	if a.Net().Params()[4].Data[100] != b.Net().Params()[4].Data[100] {
		t.Error("same seed, different weights")
	}
	if a.Net().Params()[4].Data[100] == c.Net().Params()[4].Data[100] {
		t.Error("different seeds, same weights")
	}
}

// A training step allocates nothing once its buffers exist.
func TestTrainStepAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count: -short (the race detector allocates)")
	}
	for _, preset := range Presets {
		for _, aug := range []bool{false, true} {
			for _, watch := range []*Conv1Update{nil, {}} { // also while WatchConv1 records
				set := RandomSet(400, 2)
				cfg := TrainConfig{Net: preset, BatchSize: 50}
				if aug {
					cfg.Augment, cfg.LRDecay = true, 0.9
				}
				tr, err := NewTrainer(cfg, set, nil)
				if err != nil {
					t.Fatal(err)
				}
				tr.WatchConv1(watch)
				tr.Step() // first step: buffers and optimizer state
				tr.Step()
				// 4 runs + warm-up cross the epoch end (8 steps of 50).
				if a := testing.AllocsPerRun(8, func() { tr.Step() }); a != 0 {
					t.Errorf("%s (augment %v, watched %v): %v allocations per training step", preset, aug, watch != nil, a)
				}
			}
		}
	}
}

func TestRunStopsAndCounts(t *testing.T) {
	set := RandomSet(30, 3)
	tr, _ := NewTrainer(TrainConfig{Net: "small", BatchSize: 10}, set, nil)
	n := 0
	if err := tr.Run(context.Background(), 2, func(Progress) { n++ }); err != nil || n != 6 || tr.Epoch() != 2 {
		t.Errorf("Run(2 epochs of 3 steps): err %v, %d callbacks, epoch %d", err, n, tr.Epoch())
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err := tr.Run(ctx, 5, func(Progress) {
		n++
		if n == 2 {
			cancel()
		}
	})
	if err != context.Canceled || n != 2 {
		t.Errorf("cancelled Run: err %v after %d steps", err, n)
	}
}

// Train the small network briefly on real MNIST: well above chance.
func TestTrainingLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for seconds (minutes under -race): -short")
	}
	train, test := loadReal(t)
	tr, err := NewTrainer(TrainConfig{Net: "small", BatchSize: 50, Seed: 1}, train.Slice(0, 2000), test)
	if err != nil {
		t.Fatal(err)
	}
	before := tr.Evaluate(1000)
	var last Progress
	for range 3 * tr.StepsPerEpoch() {
		last = tr.Step()
	}
	e := tr.Evaluate(1000)
	t.Logf("before %.3f, after %d steps: test accuracy %.3f, loss %.3f, train loss %.3f", before.Accuracy, last.Step, e.Accuracy, e.Loss, last.RunningLoss)
	if e.Accuracy < 0.8 || e.Accuracy < before.Accuracy+0.5 {
		t.Errorf("test accuracy after 3 epochs of 2000 images: %.3f (before %.3f), want > 0.8", e.Accuracy, before.Accuracy)
	}
	if e.Images != 1000 || e.Step != last.Step {
		t.Errorf("eval images %d step %d", e.Images, e.Step)
	}
	total, wrong := 0, 0
	for l := range Classes {
		for p := range Classes {
			total += e.Confusion[l][p]
			if l != p {
				wrong += e.Confusion[l][p]
			}
		}
	}
	if total != 1000 || wrong != min(len(e.Misclassified), MaxMisses) && len(e.Misclassified) != MaxMisses {
		t.Errorf("confusion total %d wrong %d, %d misses listed", total, wrong, len(e.Misclassified))
	}
	for _, m := range e.Misclassified {
		if m.Label == m.Pred || test.Labels[m.Index] != m.Label || !slices.Equal(m.Image, test.Image(m.Index)) {
			t.Fatalf("bad miss %+v", m)
		}
	}
}

func TestShiftImage(t *testing.T) {
	src := make([]uint8, Pixels)
	for i := range src {
		src[i] = uint8(i%255 + 1)
	}
	dst := make([]float32, Pixels)
	for _, tc := range []struct{ dx, dy int }{{0, 0}, {2, 0}, {0, -3}, {-1, 4}, {4, 4}} {
		shiftImage(dst, src, tc.dx, tc.dy)
		for y := range ImageSize {
			for x := range ImageSize {
				sx, sy := x-tc.dx, y-tc.dy
				var want float32
				if sx >= 0 && sy >= 0 && sx < ImageSize && sy < ImageSize {
					want = float32(src[sy*ImageSize+sx]) / 255
				}
				if got := dst[y*ImageSize+x]; got != want {
					t.Fatalf("shift %+v: (%d,%d) = %v, want %v", tc, x, y, got, want)
				}
			}
		}
	}
	if err := (TrainConfig{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 10, Shift: 9}).Validate(); err == nil {
		t.Error("shift 9 accepted")
	}
	set := RandomSet(200, 4)
	tr, err := NewTrainer(TrainConfig{Net: "small", BatchSize: 50, Shift: 2}, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.Step()
	tr.Step()
	if a := testing.AllocsPerRun(1, func() { tr.Step() }); a != 0 && !testing.Short() {
		t.Errorf("%v allocations per step with shifts", a)
	}
}
