package mnist

import "testing"

// TestWatchConv1IsTheStep: what WatchConv1 records is what the step did:
// the values before and after, the gradient, and Adam's moments (or SGD's
// buffer) bit for bit.
func TestWatchConv1IsTheStep(t *testing.T) {
	for _, opt := range []string{"adam", "sgd"} {
		tr, err := NewTrainer(TrainConfig{Net: "small", Optimizer: opt, BatchSize: 20}, RandomSet(100, 5), nil)
		if err != nil {
			t.Fatal(err)
		}
		var u Conv1Update
		tr.WatchConv1(&u)
		for step := 1; step <= 3; step++ {
			w, b := tr.Net().Params()[0], tr.Net().Params()[1]
			before := append(append([]float32(nil), w.Data...), b.Data...)
			tr.Step()
			after := append(append([]float32(nil), w.Data...), b.Data...)
			grad := append(append([]float32(nil), w.Grad...), b.Grad...)
			if u.Step != step || u.Optimizer != opt || u.Filters != 8 || u.KH != 5 || u.KW != 5 {
				t.Fatalf("%s step %d: recorded step %d of %s, %dx%dx%d", opt, step, u.Step, u.Optimizer, u.Filters, u.KH, u.KW)
			}
			n := len(after)
			if len(u.Adam)+len(u.SGD) != n {
				t.Fatalf("%s: %d+%d details for %d numbers", opt, len(u.Adam), len(u.SGD), n)
			}
			for j := range n {
				var got [3]float32
				var m float32
				switch opt {
				case "adam":
					d := u.Adam[j]
					got, m = [3]float32{d.Before, d.Grad, d.After}, d.M
					i, k := 0, j
					if j >= len(w.Data) {
						i, k = 1, j-len(w.Data)
					}
					if want := tr.opt.(*Adam).m[i][k]; m != want {
						t.Fatalf("adam step %d: m[%d] recorded %v, optimizer holds %v", step, j, m, want)
					}
				case "sgd":
					d := u.SGD[j]
					got = [3]float32{d.Before, d.Grad, d.After}
				}
				if want := [3]float32{before[j], grad[j], after[j]}; got != want {
					t.Fatalf("%s step %d: number %d recorded (before, grad, after) %v, the step did %v", opt, step, j, got, want)
				}
			}
		}
	}
}

// BenchmarkWatchConv1 is what WatchConv1 adds to a training step: the
// first layer's record (every weight's and bias's optimizer preview).
func BenchmarkWatchConv1(b *testing.B) {
	for _, preset := range []string{"reference", "small"} {
		b.Run(preset, func(b *testing.B) {
			tr, err := NewTrainer(TrainConfig{Net: preset, BatchSize: 10}, RandomSet(100, 1), nil)
			if err != nil {
				b.Fatal(err)
			}
			var u Conv1Update
			tr.WatchConv1(&u)
			tr.Step()
			b.ReportAllocs()
			for b.Loop() {
				tr.recordConv1()
			}
		})
	}
}
