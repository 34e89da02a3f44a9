package live

import (
	"context"
	"encoding/base64"
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
	type shape struct {
		layer   string
		c, h, w int
	}
	for _, tc := range []struct {
		net     string
		filters shape
		maps    []shape
	}{
		{"small", shape{"conv1", 8, 5, 5}, []shape{{"conv1", 8, 28, 28}, {"conv2", 16, 14, 14}}},
		{"reference", shape{"conv1", 32, 3, 3}, []shape{{"conv1", 32, 28, 28}, {"conv2", 64, 14, 14}}},
	} {
		t.Run(tc.net, func(t *testing.T) {
			eng, err := NewMNISTEngine(Config{Net: tc.net, Optimizer: "adam", LR: 0.001, BatchSize: 4}, train, test)
			if err != nil {
				t.Fatal(err)
			}
			eng.Step()
			mp := eng.Maps()
			if mp.Step != 1 || mp.Label != int(test.Labels[0]) || mp.Digit.C != 1 || mp.Digit.H != 28 || mp.Digit.W != 28 {
				t.Fatalf("maps: step %d label %d digit %+v", mp.Step, mp.Label, mp.Digit)
			}
			if f := mp.Filters; f.Layer != tc.filters.layer || f.C != tc.filters.c || f.H != tc.filters.h || f.W != tc.filters.w || !f.Signed || f.Scale <= 0 {
				t.Fatalf("filters = %s %d×%d×%d signed %v scale %g, want %+v", f.Layer, f.C, f.H, f.W, f.Signed, f.Scale, tc.filters)
			}
			if len(mp.FeatureMaps) != len(tc.maps) {
				t.Fatalf("%d feature maps, want %d", len(mp.FeatureMaps), len(tc.maps))
			}
			for i, w := range tc.maps {
				g := mp.FeatureMaps[i]
				if g.Layer != w.layer || g.C != w.c || g.H != w.h || g.W != w.w || len(g.Max) != w.c || g.Signed {
					t.Fatalf("feature map %d = %s %d×%d×%d, want %+v", i, g.Layer, g.C, g.H, g.W, w)
				}
			}
			ev := eng.Evaluate(200)
			if ev.Images != 200 || ev.Full || len(ev.Misclassified) > MaxGallery || ev.Step != 1 {
				t.Fatalf("eval of 200: images %d full %v gallery %d step %d", ev.Images, ev.Full, len(ev.Misclassified), ev.Step)
			}
			sum, wrong := 0, 0
			for r, row := range ev.Confusion {
				for c, v := range row {
					sum += v
					if r != c {
						wrong += v
					}
				}
			}
			if sum != 200 || min(wrong, MaxGallery) != len(ev.Misclassified) {
				t.Fatalf("confusion matrix counts %d images and %d mistakes; gallery %d", sum, wrong, len(ev.Misclassified))
			}
			for _, m := range ev.Misclassified {
				if m.Label == m.Pred || int(test.Labels[m.Index]) != m.Label || len(m.Image) != base64.StdEncoding.EncodedLen(784) {
					t.Fatalf("misclassified #%d label %d pred %d, image of %d base64 chars", m.Index, m.Label, m.Pred, len(m.Image))
				}
			}
			if m, ok := eng.Model().(*mnist.Net); !ok || m == nil || m.Preset() != tc.net {
				t.Fatalf("Model() = %T, want a *mnist.Net %s", eng.Model(), tc.net)
			}
		})
	}
}

// TestMNISTEngineFilterUpdate: the filter event holds the step the Trainer
// made: the weights before and after, the update between them, and the
// live network's conv1 weights are the "after" values.
func TestMNISTEngineFilterUpdate(t *testing.T) {
	d := loadMNIST(t)
	train, test, _ := d.Data()
	for _, opt := range []string{"adam", "sgd"} {
		eng, err := NewMNISTEngine(Config{Net: "small", Optimizer: opt, LR: 0.01, BatchSize: 8}, train, test)
		if err != nil {
			t.Fatal(err)
		}
		fw := eng.(FilterWatcher)
		if _, ok := fw.FilterUpdate(); ok {
			t.Fatal("a filter update before the first step")
		}
		eng.Step()
		eng.Step()
		f, ok := fw.FilterUpdate()
		if !ok || f.Step != 2 || f.Optimizer != opt || f.C != 8 || f.H != 5 || f.W != 5 || f.LR != 0.01 {
			t.Fatalf("%s: filter update %+v", opt, f)
		}
		n := 8*5*5 + 8
		w := eng.Model().(interface{ Filters() mnist.FeatureMap }).Filters().Data
		for _, s := range [][]float32{f.Before, f.Grad, f.MPrev, f.M, f.Update, f.After} {
			if len(s) != n {
				t.Fatalf("%s: array of %d, want %d", opt, len(s), n)
			}
		}
		for i := range n {
			if f.Before[i]-f.Update[i] != f.After[i] || i < len(w) && f.After[i] != w[i] {
				t.Fatalf("%s: weight %d: %v - %v ≠ %v (net holds %v)", opt, i, f.Before[i], f.Update[i], f.After[i], w[i])
			}
		}
		if opt == "adam" && (f.T != 2 || len(f.V) != n || len(f.Denom) != n || f.BC1 <= 0) {
			t.Fatalf("adam: t %d, v %d, denom %d, bc1 %v", f.T, len(f.V), len(f.Denom), f.BC1)
		}
	}
}
