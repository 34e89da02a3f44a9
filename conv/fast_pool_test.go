package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxForward2x2MatchesGeneric: the fast path gives bit-identical values
// and indices to MaxForward's generic loop, NaNs, infinities, ties and odd
// sizes included.
func TestMaxForward2x2MatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, 1}
	for _, sz := range [][3]int{{1, 2, 2}, {3, 5, 7}, {32, 28, 28}, {2, 9, 4}, {4, 14, 15}} {
		p, err := PoolSpec{Kernel: [2]int{2, 2}}.Resolve(sz[0], sz[1], sz[2])
		if err != nil {
			t.Fatal(err)
		}
		if !p.is2x2() {
			t.Fatal("is2x2 false for a 2x2 pool")
		}
		n := 3
		x := randSlice(r, p.XLen(n))
		for i := range x {
			if r.IntN(6) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		want, got := make([]float32, p.OutLen(n)), make([]float32, p.OutLen(n))
		wi, gi := make([]int32, p.OutLen(n)), make([]int32, p.OutLen(n))
		p.maxForwardGeneric(want, wi, x, n)
		p.maxForward2x2(got, gi, x, n)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || gi[i] != wi[i] {
				t.Fatalf("%v: output %d = %v (index %d), generic %v (index %d)", sz, i, got[i], gi[i], want[i], wi[i])
			}
		}
		p.maxForward2x2(got, nil, x, n) // without indices
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v without idx: output %d = %v, generic %v", sz, i, got[i], want[i])
			}
		}
	}
	for _, s := range []PoolSpec{{Kernel: [2]int{3, 3}}, {Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}}, {Kernel: [2]int{2, 2}, Padding: [2]int{1, 1}}} {
		p, err := s.Resolve(1, 8, 8)
		if err != nil {
			t.Fatal(err)
		}
		if p.is2x2() {
			t.Errorf("%+v: is2x2 true", s)
		}
	}
}

func BenchmarkMaxPool2x2(b *testing.B) {
	p, err := PoolSpec{Kernel: [2]int{2, 2}}.Resolve(32, 28, 28)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 100} {
		r := rand.New(rand.NewPCG(1, 1))
		x, y, idx := randSlice(r, p.XLen(n)), make([]float32, p.OutLen(n)), make([]int32, p.OutLen(n))
		b.Run(fmt.Sprintf("generic/n%d", n), func(b *testing.B) { loop(b, 0, func() { p.maxForwardGeneric(y, idx, x, n) }) })
		b.Run(fmt.Sprintf("fast/n%d", n), func(b *testing.B) { loop(b, 0, func() { p.maxForward2x2(y, idx, x, n) }) })
	}
}
