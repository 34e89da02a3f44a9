package quiz

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
)

// outSize is PyTorch's formula, written out independently of the engine.
func outSize(n, k, s, p, d int) int { return (n+2*p-d*(k-1)-1)/s + 1 }

// TestSizeAnswers: over many seeds, the answer of "what is the output
// size?" is the engine's (Resolve, and the length of ForwardNaive's
// output) and PyTorch's formula, and Check accepts it in every spelling.
func TestSizeAnswers(t *testing.T) {
	seen := map[[4]int]bool{}
	for seed := uint64(0); seed < 300; seed++ {
		q, err := New(KindSize, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want := outSize(q.Input, q.Kernel, q.Stride, q.Padding, q.Dilation)
		if want < 1 || int(q.Answer) != want || q.Out != want {
			t.Fatalf("seed %d: %+v: answer %v, formula says %d", seed, q, q.Answer, want)
		}
		// The engine runs it and writes exactly want×want numbers.
		g := q.Geom
		y := make([]float32, g.OutLen(1))
		conv.ForwardNaive(g, y, make([]float32, g.XLen(1)), make([]float32, q.Kernel*q.Kernel), nil, 1)
		if len(y) != want*want {
			t.Fatalf("seed %d: engine output has %d cells, want %d", seed, len(y), want*want)
		}
		for _, a := range []string{fmt.Sprint(want), fmt.Sprintf("%dx%d", want, want), fmt.Sprintf(" %d × %d ", want, want)} {
			if ok, err := q.Check(a); !ok || err != nil {
				t.Errorf("seed %d: Check(%q) = %v, %v", seed, a, ok, err)
			}
		}
		for _, a := range []string{fmt.Sprint(want + 1), fmt.Sprintf("%dx%d", want, want+1)} {
			if ok, _ := q.Check(a); ok {
				t.Errorf("seed %d: wrong answer %q accepted", seed, a)
			}
		}
		seen[[4]int{q.Kernel, q.Stride, q.Padding, q.Dilation}] = true
	}
	if len(seen) < 20 {
		t.Errorf("only %d different kernel/stride/padding/dilation settings in 300 questions", len(seen))
	}
}

// TestCellAnswers: the answer of "what number goes in this cell?" is the
// engine's output at that cell (ForwardNaive), and an independent sum
// over the window written out here.
func TestCellAnswers(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		q, err := New(KindCell, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		n, k, s, p := q.Input, q.Kernel, q.Stride, q.Padding
		// By hand: the window starts at (oy·s − p, ox·s − p); cells outside are 0.
		var sum float32
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				iy, ix := q.OutY*s-p+ky, q.OutX*s-p+kx
				if iy >= 0 && iy < n && ix >= 0 && ix < n {
					sum += q.X[iy][ix] * q.W[ky][kx]
				}
			}
		}
		if q.Answer != sum {
			t.Fatalf("seed %d: answer %v, hand sum %v", seed, q.Answer, sum)
		}
		g := q.Geom
		x, w := flat(q.X), flat(q.W)
		y := make([]float32, g.OutLen(1))
		conv.ForwardNaive(g, y, x, w, nil, 1)
		if got := y[q.OutY*g.OutW+q.OutX]; got != q.Answer {
			t.Fatalf("seed %d: answer %v, engine output %v", seed, q.Answer, got)
		}
		if ok, err := q.Check(FormatNum(sum)); !ok || err != nil {
			t.Errorf("seed %d: Check(%v) = %v, %v", seed, sum, ok, err)
		}
		if ok, _ := q.Check(FormatNum(sum + 1)); ok {
			t.Errorf("seed %d: wrong answer accepted", seed)
		}
		if len(q.Step.Taps) != k*k {
			t.Errorf("seed %d: %d products, want %d", seed, len(q.Step.Taps), k*k)
		}
	}
}

func flat(m [][]float32) []float32 {
	var out []float32
	for _, r := range m {
		out = append(out, r...)
	}
	return out
}

// TestPaddingAnswers: the padding that keeps the size is D·(K−1)/2 (stride
// 1), it is among the choices, and no other choice keeps the size.
func TestPaddingAnswers(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		q, err := New(KindPadding, seed)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want := q.Dilation * (q.Kernel - 1) / 2
		if int(q.Answer) != want {
			t.Fatalf("seed %d: %+v: answer %v, want %d", seed, q, q.Answer, want)
		}
		for _, p := range q.Choices {
			keeps := outSize(q.Input, q.Kernel, 1, p, q.Dilation) == q.Input
			if keeps != (p == want) {
				t.Errorf("seed %d: padding %d keeps the size: %v", seed, p, keeps)
			}
		}
		if ok, _ := q.Check(fmt.Sprint(want)); !ok {
			t.Errorf("seed %d: right answer refused", seed)
		}
	}
}

// TestHandChecked holds a few questions to numbers worked out by hand.
func TestHandChecked(t *testing.T) {
	q := &Question{Kind: KindSize, Input: 7, Kernel: 3, Stride: 2, Padding: 1, Dilation: 1, Out: 4, Answer: 4}
	// (7 + 2 − 2 − 1) / 2 + 1 = 6/2 + 1 = 4
	if got, want := q.SizeFormula(), "⌊(7 + 2×1 − 1×(3−1) − 1) / 2⌋ + 1 = 4"; got != want {
		t.Errorf("SizeFormula = %q, want %q", got, want)
	}
	// The lesson's 5×5 example: the first window [[1,2,3],[0,1,5],[1,0,2]]
	// under [[1,0,1],[0,1,0],[1,0,1]] makes 1+3+1+1+2 = 8.
	x := []float32{1, 2, 3, 0, 1, 0, 1, 5, 1, 0, 1, 0, 2, 3, 1, 0, 1, 4, 1, 0, 2, 0, 1, 0, 1}
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	g, err := spec(3, 1, 0, 1).Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	st := conv.TraceStep(g, x, w, nil, 0, 0, 0)
	c := &Question{Kind: KindCell, Step: &st, Answer: st.Sum}
	if got, want := c.Products(), "1×1 + 2×0 + 3×1 + 0×0 + 1×1 + 5×0 + 1×1 + 0×0 + 2×1 = 8"; got != want {
		t.Errorf("Products = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		ans string
		ok  bool
		err error
	}{{"8", true, nil}, {" 8.0 ", true, nil}, {"7", false, nil}, {"eight", false, ErrAnswer}, {"", false, ErrAnswer}} {
		ok, err := c.Check(tc.ans)
		if ok != tc.ok || !errors.Is(err, tc.err) {
			t.Errorf("Check(%q) = %v, %v; want %v, %v", tc.ans, ok, err, tc.ok, tc.err)
		}
	}
	// Padding: a 5×5 kernel with dilation 2 spans 9 cells: 4 on each side.
	p := &Question{Kind: KindPadding, Input: 10, Kernel: 5, Stride: 1, Dilation: 2, Out: 10, Answer: 4}
	if got, want := p.SizeFormula(), "⌊(10 + 2×4 − 2×(5−1) − 1) / 1⌋ + 1 = 10"; got != want {
		t.Errorf("SizeFormula = %q, want %q", got, want)
	}
}

// TestDeterministic: a question is a function of (kind, seed).
func TestDeterministic(t *testing.T) {
	for _, k := range Kinds {
		a, err1 := New(k, 42)
		b, err2 := New(k, 42)
		c, _ := New(k, 43)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: seed 42 gave two different questions", k)
		}
		if reflect.DeepEqual(a, c) && k != KindPadding {
			t.Errorf("%s: seeds 42 and 43 gave the same question", k)
		}
	}
	if _, err := New("colour", 1); !errors.Is(err, ErrKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

// TestConvURL: the visualizer link opens the question's convolution,
// at the asked cell's step, and the visualizer reads it back.
func TestConvURL(t *testing.T) {
	q := &Question{Kind: KindCell, Input: 4, Kernel: 2, Stride: 2, Padding: 0, Dilation: 1, Out: 2, OutY: 1, OutX: 0,
		X: [][]float32{{1, 2, 3, 4}, {5, 6, 7, 8}, {0, 1, 2, 3}, {4, 5, 6, 7}}, W: [][]float32{{1, -1}, {0, 2}}}
	want := "/conv?input=4&kernel=2&step=3&stride=2&w=1%2C-1%2C0%2C2&x=1%2C2%2C3%2C4%2C5%2C6%2C7%2C8%2C0%2C1%2C2%2C3%2C4%2C5%2C6%2C7"
	got := q.ConvURL()
	if got != want {
		t.Errorf("ConvURL = %q, want %q", got, want)
	}
	u, _ := url.Parse(got)
	s, err := convstate.Parse(u.Query())
	if err != nil || s.Step != 3 || s.SH != 2 || s.W[1] != -1 || s.X[8] != 0 {
		t.Errorf("the visualizer reads %q as %+v, %v", got, s, err)
	}
}

func ExampleNew() {
	q, _ := New(KindSize, 7)
	fmt.Printf("%d×%d input, %d×%d kernel, stride %d, padding %d, dilation %d\n",
		q.Input, q.Input, q.Kernel, q.Kernel, q.Stride, q.Padding, q.Dilation)
	fmt.Println(q.SizeFormula())
	ok, _ := q.Check(FormatNum(q.Answer))
	fmt.Println(ok)
	// Output:
	// 15×15 input, 3×3 kernel, stride 2, padding 2, dilation 1
	// ⌊(15 + 2×2 − 1×(3−1) − 1) / 2⌋ + 1 = 9
	// true
}

func BenchmarkNew(b *testing.B) {
	for _, k := range Kinds {
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for i := uint64(0); b.Loop(); i++ {
				if _, err := New(k, i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
