package conv

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// cpuTime is the CPU time this process has used (all threads). The machine
// the benchmarks were tuned on is shared, so beside ns/op (wall time) the
// benchmarks report cpu-ns/op, which other processes disturb far less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times (after one warm-up call) and reports GFLOP/s and
// cpu-ns/op beside the standard metrics.
func loop(b *testing.B, flops float64, f func()) {
	b.ReportAllocs()
	f()
	c0 := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// The shapes of issue 7: batch, input channels, input size, output
// channels, kernel, stride, padding. scripts/bench_torch.py runs the same
// cases in PyTorch and prints the ratio table.
var benchShapes = []struct{ n, c, hw, o, k, s, p int }{
	{64, 1, 28, 32, 3, 1, 1},
	{64, 32, 14, 64, 3, 1, 1},
	{1, 1, 28, 8, 5, 1, 2},
	{128, 1, 28, 16, 5, 1, 0},
}

type benchCase struct {
	name           string
	c              *Conv
	n              int
	x, w, b, y, dy []float32
	dx, dw, db     []float32
	flopsForward   float64
}

func newBenchCases(b *testing.B) []benchCase {
	var cs []benchCase
	for _, s := range benchShapes {
		g, err := Spec{InChannels: s.c, OutChannels: s.o, KernelSize: [2]int{s.k, s.k}, Stride: [2]int{s.s, s.s},
			Padding: [2]int{s.p, s.p}, Bias: true}.Resolve(s.hw, s.hw)
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, uint64(s.n)))
		bc := benchCase{
			name: fmt.Sprintf("n%d_c%d_%dx%d_o%d_k%d_s%d_p%d", s.n, s.c, s.hw, s.hw, s.o, s.k, s.s, s.p),
			c:    New(g), n: s.n,
			x: randSlice(r, g.XLen(s.n)), w: randSlice(r, g.WeightLen()), b: randSlice(r, g.OutChannels),
			y: make([]float32, g.OutLen(s.n)), dy: randSlice(r, g.OutLen(s.n)),
			dx: make([]float32, g.XLen(s.n)), dw: make([]float32, g.WeightLen()), db: make([]float32, g.OutChannels),
			flopsForward: 2 * float64(g.MACs()) * float64(s.n),
		}
		cs = append(cs, bc)
	}
	return cs
}

// BenchmarkConv2dForward: y = conv(x, w) + b.
func BenchmarkConv2dForward(b *testing.B) {
	for _, bc := range newBenchCases(b) {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, bc.flopsForward, func() { bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) })
		})
	}
}

// BenchmarkConv2dBackward: gradients of input, weight and bias from dy.
func BenchmarkConv2dBackward(b *testing.B) {
	for _, bc := range newBenchCases(b) {
		b.Run(bc.name, func(b *testing.B) {
			loop(b, 2*bc.flopsForward, func() { bc.c.Backward(bc.dx, bc.dw, bc.db, bc.dy, bc.x, bc.w, bc.n) })
		})
	}
}

// BenchmarkConv2dPortable: the same cases on the portable (pure Go) path,
// what a CPU without AVX2/AVX-512 runs.
func BenchmarkConv2dPortable(b *testing.B) {
	for _, bc := range newBenchCases(b) {
		bc.c.kern = portableKernel
		b.Run("Forward/"+bc.name, func(b *testing.B) {
			loop(b, bc.flopsForward, func() { bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) })
		})
		b.Run("Backward/"+bc.name, func(b *testing.B) {
			loop(b, 2*bc.flopsForward, func() { bc.c.Backward(bc.dx, bc.dw, bc.db, bc.dy, bc.x, bc.w, bc.n) })
		})
	}
}

// BenchmarkGEMM: the bare GEMM on one goroutine, per kernel, for tuning;
// "gonum" is gonum's blas32.Gemm on the same sizes for comparison (pure Go
// with SSE helpers, and it uses several goroutines on large sizes).
func BenchmarkGEMM(b *testing.B) {
	for _, sz := range [][3]int{{64, 196, 288}, {32, 784, 9}, {256, 256, 256}, {512, 512, 512}} {
		m, n, kk := sz[0], sz[1], sz[2]
		b.Run(fmt.Sprintf("gonum/m%d_n%d_k%d", m, n, kk), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x := blas32.General{Rows: m, Cols: kk, Stride: kk, Data: randSlice(r, m*kk)}
			y := blas32.General{Rows: kk, Cols: n, Stride: n, Data: randSlice(r, kk*n)}
			c := blas32.General{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
			loop(b, 2*float64(m*n*kk), func() { blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, x, y, 0, c) })
		})
	}
	for _, k := range append(gemmKernels[:len(gemmKernels):len(gemmKernels)], extraKernels...) {
		for _, sz := range [][3]int{{64, 196, 288}, {32, 784, 9}, {256, 256, 256}, {512, 512, 512}} {
			m, n, kk := sz[0], sz[1], sz[2]
			b.Run(fmt.Sprintf("%s/m%d_n%d_k%d", k.name, m, n, kk), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x, y, c := randSlice(r, m*kk), randSlice(r, kk*n), make([]float32, m*n)
				var ws gemmWS
				loop(b, 2*float64(m*n*kk), func() { ws.gemmDense(k, false, false, m, n, kk, x, kk, y, n, c, n, false) })
			})
		}
	}
}
