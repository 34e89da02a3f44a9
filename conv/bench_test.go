package conv

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// lastCPUNs is the cpu-ns/op of the last loop (benchmarks run one at a time).
var lastCPUNs float64

func cpuNsPerOp(*testing.B) float64 { return lastCPUNs }

// loop runs f b.N times (after one warm-up call) and reports GFLOP/s and
// cpu-ns/op beside the standard metrics.
func loop(b *testing.B, flops float64, f func()) {
	b.ReportAllocs()
	f()
	c0 := cpuTime()
	for b.Loop() {
		f()
	}
	lastCPUNs = float64(cpuTime()-c0) / float64(b.N)
	b.ReportMetric(lastCPUNs, "cpu-ns/op")
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

// gemmSizes are the GEMMs of the networks' layers (m×n×k; the bias adds
// one to k in a forward pass) and two square ones: the 32→64 3×3 layer on
// a 14×14 image (forward, dW, dX), the first 1→32 3×3 layer (forward), and
// the small net's 8→16 5×5 layer (forward), and one of the 16 GEMMs of
// the 32→64 layer through Winograd for a group of four images (forward
// 64×196×32, dX 32×196×64, dW 64×32×196).
var gemmSizes = [][3]int{
	{64, 196, 289}, {64, 288, 196}, {288, 196, 64},
	{32, 784, 10},
	{16, 196, 201},
	{64, 196, 32}, {32, 196, 64}, {64, 32, 196},
	{256, 256, 256}, {512, 512, 512},
}

// kernelLanes is the float32 lanes of one vector of a kernel's instruction
// set (1 for the scalar portable kernel).
func kernelLanes(name string) int {
	switch {
	case strings.HasPrefix(name, "avx512"):
		return 16
	case strings.HasPrefix(name, "avx2"):
		return 8
	case strings.HasPrefix(name, "neon"):
		return 4
	}
	return 1
}

// clockHz is the core clock: timed with clockCycles where this
// architecture has it (the fastest of several runs: the loop is only
// slowed by interruptions), else the highest "cpu MHz" of /proc/cpuinfo
// (0 when neither is known).
var clockHz = sync.OnceValues(func() (float64, string) {
	if clockCycles != nil {
		best := 0.0
		for range 20 {
			t0 := time.Now()
			n := clockCycles(1 << 20)
			if hz := float64(n) / time.Since(t0).Seconds(); hz > best {
				best = hz
			}
		}
		return best, "measured"
	}
	data, _ := os.ReadFile("/proc/cpuinfo")
	mhz := 0.0
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "cpu MHz" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f > mhz {
				mhz = f
			}
		}
	}
	return mhz * 1e6, "/proc/cpuinfo"
})

// BenchmarkGEMM: the bare GEMM on one goroutine, per kernel, on the
// networks' sizes. Beside GFLOP/s (wall time) it reports cpu-GFLOP/s (per
// second of CPU time, which other processes on a shared machine disturb
// far less) and %peak: cpu-GFLOP/s over this core's FMA peak, 2 FMA ports
// × lanes × 2 flops × clock (the clock timed, see clockHz). "pack-only" is
// the best kernel with its micro-kernel doing nothing: what packing A and
// B (and the loops around the micro-kernel) cost on that size. "gonum" is
// gonum's blas32.Gemm for comparison (pure Go with SSE helpers; it uses
// several goroutines on large sizes).
//
//	CONVLAB_GEMM is ignored here: every kernel this CPU has runs.
//	go test ./conv -run '^$' -bench GEMM -count 3   (or make bench-gemm)
func BenchmarkGEMM(b *testing.B) {
	hz, _ := clockHz()
	b.Run("clock", func(b *testing.B) {
		// Reported as metrics so the figures the %peak columns use show in
		// the output: the clock and the per-core peaks per instruction set.
		for b.Loop() {
		}
		b.ReportMetric(hz/1e9, "GHz")
		for _, k := range gemmKernels {
			b.ReportMetric(2*float64(kernelLanes(k.name))*2*hz/1e9, "peak-GFLOP/s-"+k.name)
		}
	})
	for _, sz := range gemmSizes {
		m, n, kk := sz[0], sz[1], sz[2]
		b.Run(fmt.Sprintf("gonum/m%d_n%d_k%d", m, n, kk), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x := blas32.General{Rows: m, Cols: kk, Stride: kk, Data: randSlice(r, m*kk)}
			y := blas32.General{Rows: kk, Cols: n, Stride: n, Data: randSlice(r, kk*n)}
			c := blas32.General{Rows: m, Cols: n, Stride: n, Data: make([]float32, m*n)}
			loop(b, 2*float64(m*n*kk), func() { blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, x, y, 0, c) })
		})
	}
	best := gemmKernels[len(gemmKernels)-1]
	packOnly := *best
	packOnly.name = "pack-only_" + best.name
	packOnly.micro = func(int, []float32, []float32, []float32, int, bool) {}
	if best.edge != nil {
		e := *best.edge
		e.micro = packOnly.micro
		packOnly.edge = &e
	}
	kernels := append(gemmKernels[:len(gemmKernels):len(gemmKernels)], extraKernels...)
	for _, k := range append(kernels, &packOnly) {
		peak := 2 * float64(kernelLanes(k.name)) * 2 * hz
		for _, sz := range gemmSizes {
			m, n, kk := sz[0], sz[1], sz[2]
			b.Run(fmt.Sprintf("%s/m%d_n%d_k%d", k.name, m, n, kk), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x, y, c := randSlice(r, m*kk), randSlice(r, kk*n), make([]float32, m*n)
				var ws gemmWS
				flops := 2 * float64(m*n*kk)
				loop(b, flops, func() { ws.gemmDense(k, false, false, m, n, kk, x, kk, y, n, c, n, false) })
				if k != &packOnly && b.N > 0 {
					cpu := b.Elapsed().Seconds() // replaced below when CPU time is known
					if ns := cpuNsPerOp(b); ns > 0 {
						cpu = ns * 1e-9 * float64(b.N)
					}
					cg := flops * float64(b.N) / cpu
					b.ReportMetric(cg/1e9, "cpu-GFLOP/s")
					if peak > 0 {
						b.ReportMetric(100*cg/peak, "%peak")
					}
				}
			})
		}
	}
}

// BenchmarkWinograd compares the two paths of the 32→64 3×3 layer (the
// reference network's second) on each kernel: im2col + GEMM, and
// Winograd F(2×2, 3×3). GFLOP/s counts the direct convolution's flops for
// both, so it compares times.
func BenchmarkWinograd(b *testing.B) {
	defer func(e, a bool) { winoEnabled, winoAllKernels = e, a }(winoEnabled, winoAllKernels)
	winoAllKernels = true
	for _, k := range gemmKernels {
		for _, path := range []string{"im2col", "winograd"} {
			winoEnabled = path == "winograd"
			bc := newBenchCases(b)[1]
			bc.c.kern = k
			bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) // setup: takes the path chosen now
			if (bc.c.wino != nil) != winoEnabled {
				b.Fatalf("%s: the %s path did not run", bc.name, path)
			}
			b.Run(fmt.Sprintf("Forward/%s/%s", k.name, path), func(b *testing.B) {
				loop(b, bc.flopsForward, func() { bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) })
			})
			b.Run(fmt.Sprintf("Backward/%s/%s", k.name, path), func(b *testing.B) {
				loop(b, 2*bc.flopsForward, func() { bc.c.Backward(bc.dx, bc.dw, bc.db, bc.dy, bc.x, bc.w, bc.n) })
			})
		}
	}
}

// BenchmarkPoolSpin compares the goroutine pool's two ways of waiting for
// work on the forward shapes: parking at once (spin=0) and polling for
// poolSpin first. Run it with -cpu 2 (or more): on one P there is no pool.
func BenchmarkPoolSpin(b *testing.B) {
	defer func(d time.Duration) { poolSpin = d }(poolSpin)
	for _, bc := range newBenchCases(b) {
		for _, spin := range []time.Duration{0, poolSpin} {
			b.Run(fmt.Sprintf("%s/spin=%v", bc.name, spin), func(b *testing.B) {
				poolSpin = spin
				time.Sleep(time.Millisecond) // let a spinning pool goroutine park
				loop(b, bc.flopsForward, func() { bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) })
			})
		}
	}
}

// BenchmarkDirect compares the direct convolution of one input channel
// with im2col on the Cin = 1 shapes, per kernel that has one.
func BenchmarkDirect(b *testing.B) {
	defer func(e, w bool) { directEnabled, directW24 = e, w }(directEnabled, directW24)
	for _, k := range gemmKernels {
		if k.direct == nil {
			continue
		}
		for _, path := range []string{"im2col", "direct", "direct-no-w24"} {
			directEnabled = path != "im2col"
			directW24 = path == "direct"
			for _, bc := range newBenchCases(b) {
				if bc.c.G.InChannels != 1 {
					continue
				}
				bc.c.kern = k
				b.Run(fmt.Sprintf("%s/%s/%s", bc.name, k.name, path), func(b *testing.B) {
					loop(b, bc.flopsForward, func() { bc.c.Forward(bc.y, bc.x, bc.w, bc.b, bc.n) })
				})
			}
		}
	}
}
