package animations

import (
	"fmt"
	"strings"
)

// Named is one animation of the classic set.
type Named struct {
	Name   string
	Params Params
}

func sq(n int) [2]int { return [2]int{n, n} }

// Classic is the classic set of Dumoulin & Visin's "A guide to convolution
// arithmetic for deep learning", in the paper's order: eight convolutions
// and, for each of the first seven, the transposed convolution that maps
// its output shape back to its input shape (same kernel, stride and
// padding; output_padding where the strided convolution dropped a row).
var Classic = []Named{
	{"no_padding_no_strides", Params{Input: sq(4), Kernel: sq(3)}},
	{"arbitrary_padding_no_strides", Params{Input: sq(5), Kernel: sq(4), Padding: sq(2)}},
	{"same_padding_no_strides", Params{Input: sq(5), Kernel: sq(3), Padding: sq(1)}},
	{"full_padding_no_strides", Params{Input: sq(5), Kernel: sq(3), Padding: sq(2)}},
	{"no_padding_strides", Params{Input: sq(5), Kernel: sq(3), Stride: sq(2)}},
	{"padding_strides", Params{Input: sq(5), Kernel: sq(3), Stride: sq(2), Padding: sq(1)}},
	{"padding_strides_odd", Params{Input: sq(6), Kernel: sq(3), Stride: sq(2), Padding: sq(1)}},
	{"dilation", Params{Input: sq(7), Kernel: sq(3), Dilation: sq(2)}},

	{"no_padding_no_strides_transposed", Params{Input: sq(2), Kernel: sq(3), Transposed: true}},
	{"arbitrary_padding_no_strides_transposed", Params{Input: sq(6), Kernel: sq(4), Padding: sq(2), Transposed: true}},
	{"same_padding_no_strides_transposed", Params{Input: sq(5), Kernel: sq(3), Padding: sq(1), Transposed: true}},
	{"full_padding_no_strides_transposed", Params{Input: sq(7), Kernel: sq(3), Padding: sq(2), Transposed: true}},
	{"no_padding_strides_transposed", Params{Input: sq(2), Kernel: sq(3), Stride: sq(2), Transposed: true}},
	{"padding_strides_transposed", Params{Input: sq(3), Kernel: sq(3), Stride: sq(2), Padding: sq(1), Transposed: true}},
	{"padding_strides_odd_transposed", Params{Input: sq(3), Kernel: sq(3), Stride: sq(2), Padding: sq(1), OutputPadding: sq(1), Transposed: true}},
}

// Lookup finds a classic animation by name ("dilation", not "dilation.gif").
func Lookup(name string) (Params, bool) {
	for _, c := range Classic {
		if c.Name == name {
			return c.Params, true
		}
	}
	return Params{}, false
}

// Relation is the output-size relationship of the guide for one axis,
// written out with the numbers of an animation.
type Relation struct {
	// Formula is the general relationship, e.g. "o = ⌊(i + 2p − k)/s⌋ + 1".
	Formula string
	// Filled is the same with the numbers put in and worked out,
	// e.g. "o = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3".
	Filled string
	// Dilated, for a dilation above 1, is the effective kernel size
	// "k̂ = k + (k−1)(d−1)" filled in; empty otherwise.
	Dilated string
	// Out is the output size, from the conv engine.
	Out int
}

// Relations gives the relationship per axis: one element when both axes
// have the same numbers, otherwise height then width. p must resolve.
func (p Params) Relations() ([]Relation, error) {
	g, err := p.Resolve()
	if err != nil {
		return nil, err
	}
	p = p.Normalize()
	axes := []int{0}
	if p.Input[0] != p.Input[1] || p.Kernel[0] != p.Kernel[1] || p.Stride[0] != p.Stride[1] ||
		p.Padding[0] != p.Padding[1] || p.Dilation[0] != p.Dilation[1] || p.OutputPadding[0] != p.OutputPadding[1] {
		axes = []int{0, 1}
	}
	outs := [2]int{g.OutH, g.OutW}
	var rs []Relation
	for _, a := range axes {
		rs = append(rs, relation(p, a, outs[a]))
	}
	return rs, nil
}

// relation writes the guide's formula for axis a. The final number is the
// engine's; the intermediate numbers only spell the formula out (a test
// checks that they agree with the engine for every classic and many
// random cases).
func relation(p Params, a, out int) Relation {
	i, k, s, pd, d, op := p.Input[a], p.Kernel[a], p.Stride[a], p.Padding[a], p.Dilation[a], p.OutputPadding[a]
	r := Relation{Out: out}
	kname, kval := "k", k
	if d > 1 {
		kname, kval = "k̂", k+(k-1)*(d-1)
		r.Dilated = fmt.Sprintf("k̂ = k + (k − 1)(d − 1) = %d + (%d − 1)(%d − 1) = %d", k, k, d, kval)
	}
	if p.Transposed {
		r.Formula = fmt.Sprintf("o′ = s(i′ − 1) + %s − 2p", kname)
		r.Filled = fmt.Sprintf("o′ = %d·(%d − 1) + %d − 2·%d", s, i, kval, pd)
		if op > 0 {
			r.Formula += " + a"
			r.Filled += fmt.Sprintf(" + %d", op)
		}
		r.Filled += fmt.Sprintf(" = %d", out)
		return r
	}
	r.Formula = fmt.Sprintf("o = ⌊(i + 2p − %s)/s⌋ + 1", kname)
	if s == 1 {
		r.Formula = fmt.Sprintf("o = (i + 2p − %s) + 1", kname)
		r.Filled = fmt.Sprintf("o = (%d + 2·%d − %d) + 1 = %d", i, pd, kval, out)
		return r
	}
	r.Filled = fmt.Sprintf("o = ⌊(%d + 2·%d − %d)/%d⌋ + 1 = %d", i, pd, kval, s, out)
	return r
}

// evalRelation recomputes a Relation's filled-in formula from its own
// numbers; tests use it to hold the text to the engine.
func evalRelation(p Params, a int) int {
	p = p.Normalize()
	i, k, s, pd, d, op := p.Input[a], p.Kernel[a], p.Stride[a], p.Padding[a], p.Dilation[a], p.OutputPadding[a]
	kk := k + (k-1)*(d-1)
	if p.Transposed {
		return s*(i-1) + kk - 2*pd + op
	}
	return (i+2*pd-kk)/s + 1
}

// Describe is a short English description of p for alt text and logs, e.g.
// "5x5 input, 3x3 kernel, stride 2, padding 1 → 3x3 output".
func (p Params) Describe(outH, outW int) string {
	p = p.Normalize()
	var b strings.Builder
	if p.Transposed {
		b.WriteString("transposed convolution: ")
	} else {
		b.WriteString("convolution: ")
	}
	fmt.Fprintf(&b, "%dx%d input, %dx%d kernel, stride %s, padding %s", p.Input[0], p.Input[1], p.Kernel[0], p.Kernel[1], pair(p.Stride), pair(p.Padding))
	if p.Dilation != [2]int{1, 1} {
		fmt.Fprintf(&b, ", dilation %s", pair(p.Dilation))
	}
	if p.OutputPadding != [2]int{} {
		fmt.Fprintf(&b, ", output_padding %s", pair(p.OutputPadding))
	}
	fmt.Fprintf(&b, " → %dx%d output", outH, outW)
	return b.String()
}
