package live

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/convlab/convlab/mnist"
)

// loadMNIST returns the data set, or skips the test when it is absent
// (fails under CI, where `go mod download` provides it).
func loadMNIST(t *testing.T) *MNIST {
	t.Helper()
	d := &MNIST{Getenv: os.Getenv}
	if _, _, err := d.Data(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("MNIST data not available: %v", err)
	}
	return d
}

// TestSmallNetReaches95PercentInAMinute trains the small network live,
// through the same Manager the /train page drives, for at most 60 s of
// wall-clock time, then scores it on the full 10k test set.
func TestSmallNetReaches95PercentInAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("trains MNIST for up to a minute: -short")
	}
	d := loadMNIST(t)
	m := New(Options{Factory: d.Factory})
	defer m.Close()

	start := time.Now()
	if _, err := m.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var best Eval
	for time.Since(start) < 60*time.Second {
		time.Sleep(250 * time.Millisecond)
		var ev Eval
		m.mu.Lock()
		wire := m.latest[KindEval].Wire
		m.mu.Unlock()
		if wire == nil {
			continue
		}
		decodeLatest(t, m, KindEval, &ev)
		if ev.Step != best.Step {
			best = ev
			t.Logf("%5.1fs step %d: test accuracy %.4f on %d images", time.Since(start).Seconds(), ev.Step, ev.TestAccuracy, ev.Images)
		}
		if ev.TestAccuracy >= 0.97 {
			break
		}
	}
	if _, err := m.Pause(); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	net := m.LiveNet()
	if net == nil {
		t.Fatal("no live model after training")
	}
	_, test, _ := d.Data()
	full := net.Evaluate(test, 0)
	t.Logf("after %.1fs (paused): %.4f on the full %d-image test set", elapsed.Seconds(), full.Accuracy, full.Images)
	if full.Images != test.N || full.Accuracy < 0.95 {
		t.Fatalf("the small network reached %.4f test accuracy in %.0fs, want ≥ 0.95 within 60s", full.Accuracy, elapsed.Seconds())
	}
}

func TestMNISTEngineMaps(t *testing.T) {
	d := loadMNIST(t)
	train, test, _ := d.Data()
	eng, err := NewMNISTEngine(Config{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 16}, train, test)
	if err != nil {
		t.Fatal(err)
	}
	eng.Step()
	mp := eng.Maps()
	if mp.Step != 1 || mp.Label != int(test.Labels[0]) || mp.Digit.C != 1 || mp.Digit.H != 28 {
		t.Fatalf("maps: step %d label %d digit %+v", mp.Step, mp.Label, mp.Digit)
	}
	if f := mp.Filters; f.Layer != "conv1" || f.C != 8 || f.H != 5 || f.W != 5 || !f.Signed || f.Scale <= 0 {
		t.Fatalf("filters = %+v, want conv1 8×5×5 signed", f)
	}
	want := []struct {
		layer   string
		c, h, w int
	}{{"conv1", 8, 28, 28}, {"conv2", 16, 14, 14}}
	if len(mp.FeatureMaps) != len(want) {
		t.Fatalf("%d feature maps, want %d", len(mp.FeatureMaps), len(want))
	}
	for i, w := range want {
		g := mp.FeatureMaps[i]
		if g.Layer != w.layer || g.C != w.c || g.H != w.h || g.W != w.w || len(g.Max) != w.c {
			t.Fatalf("feature map %d = %s %d×%d×%d, want %+v", i, g.Layer, g.C, g.H, g.W, w)
		}
	}
	ev := eng.Evaluate(500)
	if ev.Images != 500 || ev.Full || len(ev.Misclassified) > MaxGallery {
		t.Fatalf("eval of 500: images %d full %v gallery %d", ev.Images, ev.Full, len(ev.Misclassified))
	}
	sum := 0
	for _, row := range ev.Confusion {
		for _, v := range row {
			sum += v
		}
	}
	if sum != 500 {
		t.Fatalf("confusion matrix counts %d images, want 500", sum)
	}
	if m, ok := eng.Model().(*mnist.Net); !ok || m == nil || m.Preset() != "small" {
		t.Fatalf("Model() = %T, want a *mnist.Net small", eng.Model())
	}
}
