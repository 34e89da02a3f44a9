package convview

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
)

func state(t testing.TB, q string) convstate.State {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	s, err := convstate.Parse(v)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func build(t testing.TB, lang, q string) (views.ConvView, Script) {
	t.Helper()
	vm, err := Build(lang, state(t, q), ExplainKeys)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return vm, vm.Data.(Script)
}

// What the page shows for a spread of configurations: the lesson's
// worked example, the formulas with their numbers, the PyTorch line and
// the rows no window covers.
func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		q, outSize, eq, formulaH, pytorch string
		uncovered                         []string
	}{
		{"preset=lesson-5x5", "3×3", "1×1 + 2×0 + 3×1 + 0×0 + 1×1 + 5×0 + 1×1 + 0×0 + 2×1 = 8",
			"o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊2 / 1⌋ + 1 = 3",
			"nn.Conv2d(1, 1, kernel_size=3, bias=False)", nil},
		{"preset=odd-stride", "3×3", "",
			"o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(6 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3 (5 = 2·2 + 1)",
			"nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)",
			[]string{"1 padding row(s) are never under the filter.", "1 padding column(s) are never under the filter."}},
		{"preset=transposed", "5×5", "",
			"o = (i − 1)·s − 2p + d(k − 1) + output_padding + 1 = (2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 5",
			"nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, bias=False)", nil},
		// Several channels: one bracket a channel, then the bias
		// (8 + 8 + 16 + 1 = 33).
		{"preset=channels&step=5", "3×3", "(4×1 + 0×0 + 1×1 + 3×0 + 1×1 + 3×0 + 2×1 + 1×0 + 0×1) + (1×0 + 2×1 + 3×0 + 0×1 + 3×1 + 0×1 + 4×0 + 3×1 + 2×0) + (3×1 + 4×1 + 0×1 + 2×1 + 0×0 + 2×1 + 1×1 + 0×1 + 4×1) + 1 = 33",
			"", "nn.Conv2d(3, 2, kernel_size=3, stride=2, padding=1)", nil},
		// Over 27 products: the channels' sums.
		{"input=4&channels=4&kernel=3&bias=1", "2×2", "6 + 5 + 20 + 6 + 1 = 38", "", "nn.Conv2d(4, 1, kernel_size=3)", nil},
		{"input=5x6&kernel=2x3&padding=same&dilation=1x2&mode=circular&channels=2&filters=3&bias=1", "5×6", "",
			"", "nn.Conv2d(2, 3, kernel_size=(2, 3), padding='same', dilation=(1, 2), padding_mode='circular')", nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			vm, d := build(t, "en", tc.q)
			if !vm.OK || !d.OK || vm.OutSize != tc.outSize {
				t.Fatalf("OK %v/%v, output %q, want %q", vm.OK, d.OK, vm.OutSize, tc.outSize)
			}
			if tc.eq != "" && vm.Detail.Equation != tc.eq {
				t.Errorf("equation %q, want %q", vm.Detail.Equation, tc.eq)
			}
			if tc.formulaH != "" && vm.FormulaH != tc.formulaH {
				t.Errorf("formula %q, want %q", vm.FormulaH, tc.formulaH)
			}
			if vm.PyTorch != tc.pytorch {
				t.Errorf("PyTorch %q, want %q", vm.PyTorch, tc.pytorch)
			}
			if strings.Join(vm.Uncovered, "|") != strings.Join(tc.uncovered, "|") {
				t.Errorf("uncovered %q, want %q", vm.Uncovered, tc.uncovered)
			}
		})
	}
}

// The script's steps are the first paint's: building the page at step k
// writes out exactly what Script.Steps[k-1] holds, for every step of
// several configurations (so stepping in the browser shows what a
// reload would).
func TestScriptStepsMatchFirstPaint(t *testing.T) {
	for _, q := range []string{"preset=lesson-4x4", "preset=reflect", "preset=channels", "preset=transposed",
		"input=4&kernel=3&padding=2&mode=circular&channels=2",
		"input=4x5&kernel=2&filters=3&bias=1&stride=2"} {
		_, d := build(t, "ko", q)
		s := state(t, q)
		for k := 1; k <= len(d.Steps); k++ {
			s.Step = k
			vm, err := Build("ko", s, ExplainKeys)
			if err != nil {
				t.Fatal(err)
			}
			st := d.Steps[k-1]
			if st.Eq != vm.Detail.Equation || st.Where != vm.Detail.Where || st.Sum != vm.Detail.Sum || st.Index != vm.StepIndex || st.Bias != vm.Detail.Bias {
				t.Fatalf("%s step %d: script %+v, page %+v %q", q, k, st, vm.Detail, vm.StepIndex)
			}
			// The cells the page marks are the ones the script marks.
			var win, taps int
			src := map[[3]int]bool{} // the cells copied padding reads, as the page marks them
			for ci, ch := range vm.Channels {
				for y, row := range ch.Grid.Rows {
					for x, c := range row {
						if strings.Contains(c.Class, " win") {
							win++
						}
						if strings.Contains(c.Class, " tap") {
							taps++
						}
						if strings.HasSuffix(c.Class, " src") || strings.Contains(c.Class, " src ") {
							src[[3]int{ci, y, x}] = true
						}
					}
				}
			}
			scriptSrc := map[[3]int]bool{}
			for _, tp := range st.Taps {
				if len(tp) == 11 {
					scriptSrc[[3]int{tp[0].(int), tp[9].(int), tp[10].(int)}] = true
				}
			}
			if !reflect.DeepEqual(src, scriptSrc) {
				t.Fatalf("%s step %d: the page marks sources %v, the script %v", q, k, src, scriptSrc)
			}
			if want := (st.Win[1] - st.Win[0]) * (st.Win[3] - st.Win[2]) * s.Channels; win != want || taps != len(st.Taps) {
				t.Fatalf("%s step %d: page marks %d window cells and %d taps; script %d and %d", q, k, win, taps, want, len(st.Taps))
			}
			// Output cells done so far: the script's classes and texts.
			for _, og := range vm.Outputs {
				for _, row := range og.Rows {
					for _, c := range row {
						i := atoi(t, c.Attrs["data-step"].(string)) - 1
						if i < k && (c.Text != d.Out[i] || !strings.HasPrefix(c.Class, d.OutClass[i])) {
							t.Fatalf("%s step %d: output %d %q %q, script %q %q", q, k, i, c.Text, c.Class, d.Out[i], d.OutClass[i])
						}
					}
				}
			}
			// The kernel the page shows is the step's filter's.
			for c, ch := range vm.Channels {
				k := d.Kernels[st.F][c]
				if ch.Kernel.Label != k.Label || ch.Kernel.Rows[0][0].Text != k.Text[0] {
					t.Fatalf("%s: kernel %q, script %q", q, ch.Kernel.Label, k.Label)
				}
			}
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// The MNIST preset shows the digit and the feature map as pictures too;
// the script has a colour for every output cell.
func TestBuildMNIST(t *testing.T) {
	vm, d := build(t, "en", "preset=lesson-mnist&step=30")
	if len(vm.Images) != 2 || len(vm.Images[0].Pixels) != 28*28 || len(vm.Images[1].Pixels) != 26*26 {
		t.Fatalf("images: %d, want the 28×28 input and the 26×26 output", len(vm.Images))
	}
	if len(d.Steps) != 26*26 || len(d.OutFill) != 26*26 || len(d.Out) != 26*26 {
		t.Fatalf("%d steps, %d fills, %d outputs", len(d.Steps), len(d.OutFill), len(d.Out))
	}
	out := vm.Images[1].Pixels
	if out[30].Fill != pendingFill || out[29].Fill != d.OutFill[29] || d.OutFill[30] == pendingFill {
		t.Errorf("step 30: pixel 29 %q (script %q), pixel 30 %q (script %q)", out[29].Fill, d.OutFill[29], out[30].Fill, d.OutFill[30])
	}
	if out[0].Fill != d.OutFill[0] {
		t.Errorf("pixel 0 %q, script %q", out[0].Fill, d.OutFill[0])
	}
}

// A state the engine refuses: no stage, the reason in the reader's
// language (the engine's own words pass through explain).
func TestBuildRefused(t *testing.T) {
	s := state(t, "input=3&kernel=5")
	explained := false
	explain := func(lang string, err error) (string, string) {
		var ce *conv.Error
		explained = errors.As(err, &ce) && lang == "ko"
		return "설명", "kernel_size"
	}
	vm, err := Build("ko", s, explain)
	if err == nil || vm.OK || !explained || vm.Error != "설명" || vm.ErrorParam != "kernel_size" {
		t.Fatalf("err %v, vm OK %v error %q (explained %v)", err, vm.OK, vm.Error, explained)
	}
	d := vm.Data.(Script)
	if d.OK || d.Error != "설명" || len(d.Steps) != 0 || d.Query != "input=3&kernel=5" {
		t.Errorf("script %+v", d)
	}
	// The budget is convstate's, worded by key.
	s = state(t, "input=32&kernel=7&channels=4&filters=4&padding=same")
	vm, _ = Build("ko", s, ExplainKeys)
	if !strings.Contains(vm.Error, "20000") {
		t.Errorf("budget message %q", vm.Error)
	}
	_, perr := convstate.Parse(url.Values{"input": {"abc"}})
	r := Refused("en", perr, ExplainKeys)
	if r.OK || r.ErrorParam != "input" || !strings.Contains(r.Error, "abc") || r.Form.Input != "5" {
		t.Errorf("Refused: %+v", r)
	}
	w := WithError(vm, "m", "p")
	if w.Data.(Script).Error != "m" {
		t.Error("WithError left the script's error")
	}
}

// Every operation of convstate has an implementation.
func TestOperations(t *testing.T) {
	for _, op := range []convstate.Op{convstate.OpConv, convstate.OpConvTranspose} {
		if operations[op] == nil {
			t.Errorf("no operation %q", op)
		}
	}
}

func TestFmtNum(t *testing.T) {
	for _, tc := range []struct {
		v    float32
		want string
	}{
		{0, "0"}, {8, "8"}, {-3, "-3"}, {1000, "1000"},
		{0.5, "0.5"}, {0.125, "0.13"}, {-0.125, "-0.13"}, {0.32941177, "0.33"},
		{-0.001, "0"}, {1.0 / 9, "0.11"}, {2.675, "2.67"}, // 2.675 is 2.67499… in binary
	} {
		if got := fmtNum(tc.v); got != tc.want {
			t.Errorf("fmtNum(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// BenchmarkBuild measures the view model of the largest lesson preset
// (28×28 MNIST digit: 676 traced steps, each written out for the script).
func BenchmarkBuild(b *testing.B) {
	for _, q := range []string{"preset=lesson-5x5", "preset=lesson-mnist"} {
		b.Run(q, func(b *testing.B) {
			s := state(b, q)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build("en", s, ExplainKeys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
