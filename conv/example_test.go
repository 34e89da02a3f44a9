package conv_test

import (
	"fmt"
	"strings"

	"github.com/convlab/convlab/conv"
)

// The lesson's example: a 5x5 input under a 3x3 filter. The first window
// [[1 2 3] [0 1 5] [1 0 2]] times the cross-shaped filter, element by
// element, adds up to 8. (The lesson shows only the first window; the rest
// of this input is made up.)
func Example_lessonWindow() {
	spec := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}
	g, err := spec.Resolve(5, 5)
	if err != nil {
		panic(err)
	}
	x := []float32{
		1, 2, 3, 0, 1,
		0, 1, 5, 1, 0,
		1, 0, 2, 2, 1,
		2, 1, 0, 1, 3,
		0, 3, 1, 2, 0,
	}
	w := []float32{
		1, 0, 1,
		0, 1, 0,
		1, 0, 1,
	}
	step := conv.TraceStep(g, x, w, nil, 0, 0, 0) // output row 0, column 0
	var terms []string
	for _, t := range step.Taps {
		terms = append(terms, fmt.Sprintf("%v*%v", t.Input, t.Weight))
	}
	fmt.Println(strings.Join(terms, " + "), "=", step.Sum)

	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, x, w, nil, 1)
	fmt.Printf("output %dx%d: %v\n", g.OutH, g.OutW, y)
	// Output:
	// 1*1 + 2*0 + 3*1 + 0*0 + 1*1 + 5*0 + 1*1 + 0*0 + 2*1 = 8
	// output 3x3: [8 9 8 7 6 10 5 7 5]
}

// Output sizes follow PyTorch's rule out = (in + 2·padding − kernel) / stride + 1
// (rounded down): a 3x3 kernel shrinks a 28x28 MNIST digit to 26x26,
// padding 1 keeps it at 28x28, and stride 2 halves it.
func ExampleSpec_Resolve() {
	for _, s := range []conv.Spec{
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}},
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}},
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{2, 2}},
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{7, 7}},
	} {
		g, err := s.Resolve(28, 28)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("kernel %v padding %v stride %v: 28x28 -> %dx%d\n", s.KernelSize, s.Padding, g.Stride, g.OutH, g.OutW)
	}
	_, err := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{7, 7}}.Resolve(5, 5)
	fmt.Println("error:", err)
	// Output:
	// kernel [3 3] padding [0 0] stride [1 1]: 28x28 -> 26x26
	// kernel [3 3] padding [1 1] stride [1 1]: 28x28 -> 28x28
	// kernel [3 3] padding [1 1] stride [2 2]: 28x28 -> 14x14
	// kernel [7 7] padding [0 0] stride [1 1]: 28x28 -> 22x22
	// error: kernel 7×7 is larger than the padded input 5×5
}

// padding="same" keeps the size (stride 1 only). The kernel needs
// dilation·(kernel−1) extra rows: 3 for a 4x4 kernel, which cannot be split
// evenly, so PyTorch puts the odd one at the bottom (and right).
func ExampleSpec_Resolve_same() {
	g, err := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{4, 3}, PaddingStr: "same"}.Resolve(6, 6)
	if err != nil {
		panic(err)
	}
	fmt.Printf("output %dx%d, padding top %d bottom %d left %d right %d\n",
		g.OutH, g.OutW, g.PadTop, g.PadBottom, g.PadLeft, g.PadRight)
	_, err = conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, PaddingStr: "same", Stride: [2]int{2, 2}}.Resolve(6, 6)
	fmt.Println("error:", err)
	// Output:
	// output 6x6, padding top 1 bottom 2 left 1 right 1
	// error: padding="same" needs stride 1 (PyTorch does not support it for strided convolutions), got stride 2×2
}

// A transposed convolution (ConvTranspose2d) with stride 2 spreads each
// input cell over a 3x3 patch of a larger output (these numbers are
// PyTorch's conv_transpose2d's). The same result comes from an ordinary
// convolution over the grid below: the input cells (#) with stride−1 zeros
// inserted between them (+), framed by zeros (.), swept by the flipped
// kernel with stride 1. That grid is what the visualizer draws.
func Example_transposed() {
	spec := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Transposed: true}
	g, err := spec.Resolve(2, 2)
	if err != nil {
		panic(err)
	}
	x := []float32{1, 2, 3, 4}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, x, w, nil, 1)
	fmt.Printf("2x2 -> %dx%d\n", g.OutH, g.OutW)
	for r := range g.OutH {
		fmt.Println(y[r*g.OutW : (r+1)*g.OutW])
	}
	for _, row := range g.Grid() {
		var b strings.Builder
		for _, c := range row {
			b.WriteByte(map[conv.CellKind]byte{conv.Real: '#', conv.Inserted: '+', conv.ZeroPad: '.'}[c.Kind])
		}
		fmt.Println(b.String())
	}
	// Output:
	// 2x2 -> 5x5
	// [1 1 3 2 2]
	// [1 1 3 2 2]
	// [4 4 10 6 6]
	// [3 3 7 4 4]
	// [3 3 7 4 4]
	// .......
	// .......
	// ..#+#..
	// ..+++..
	// ..#+#..
	// .......
	// .......
}

// Max pooling keeps the largest value of each window: a 2x2 window with
// stride 2 (PyTorch's default stride is the kernel size) halves a 4x4 map,
// and the backward pass sends each gradient to the cell that won (on a tie,
// the first in reading order, as in PyTorch: the 2 at row 3, column 0).
func ExamplePool_MaxForward() {
	p, err := conv.PoolSpec{Kernel: [2]int{2, 2}}.Resolve(1, 4, 4)
	if err != nil {
		panic(err)
	}
	x := []float32{
		1, 3, 2, 0,
		4, 2, 1, 1,
		0, 1, 5, 6,
		2, 2, 7, 1,
	}
	y, idx := make([]float32, p.OutLen(1)), make([]int32, p.OutLen(1))
	p.MaxForward(y, idx, x, 1)
	fmt.Printf("%dx%d -> %dx%d: %v, winners at %v\n", p.InH, p.InW, p.OutH, p.OutW, y, idx)
	dx := make([]float32, p.XLen(1))
	p.MaxBackward(dx, []float32{1, 1, 1, 1}, idx, 1)
	fmt.Println("gradient:", dx)
	// Output:
	// 4x4 -> 2x2: [4 2 2 7], winners at [4 2 12 14]
	// gradient: [0 0 1 0 1 0 0 0 0 0 0 0 1 0 1 0]
}
