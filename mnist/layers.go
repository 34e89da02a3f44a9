package mnist

import (
	"math"
	"runtime"
	"sync"

	"github.com/convlab/convlab/conv"
)

// The layers of a network. Every multiply-add of a convolution, a linear
// layer or a pooling window runs in package conv (conv.Conv, conv.Pool):
// this file only wires buffers together. A Linear layer is computed as the
// 1×1 convolution it is: an input of n×In×1×1 under a weight of Out×In×1×1,
// which is exactly torch.nn.Linear's Out×In weight.
//
// Buffers live in a layerState, one per layer per batch size (see
// workspace in net.go), so a training step allocates nothing once the
// buffers exist.

// shape is the per-image shape of an activation (C × H × W).
type shape struct{ C, H, W int }

func (s shape) size() int { return s.C * s.H * s.W }

// layerState holds one layer's buffers for one batch size.
type layerState struct {
	y   []float32  // output, n × out (nil for layers that work in place)
	dx  []float32  // gradient with respect to the input (nil if not needed)
	c   *conv.Conv // convolution / linear engine (not safe for concurrent use)
	idx []int32    // max-pooling winners

	// Splitting ReLU and pooling over the cores: the job's function is
	// made once per state and reads the call's operands from a, b, n, so a
	// parallel call allocates nothing.
	job     parJob
	a, b    []float32
	n       int
	forward bool

	// A convolution followed by ReLU and max-pooling, run pool-first:
	// the conv's per-image Epilogue pools each image of its output (cy)
	// into the pool layer's state while the image is still in cache, and
	// its Prologue routes the pooled gradient (dyPool) back into the pool's
	// dx, image by image, just before the conv's backward reads it. Made on
	// first use (see convLayer.forwardPooled).
	epi, pro   func(ni int)
	cy, dyPool []float32
}

// parJob is a function split into nw parts, run by parallel.
type parJob struct {
	f  func(i, nw int)
	wg sync.WaitGroup
}

type parTask struct {
	j     *parJob
	i, nw int
}

var (
	parOnce sync.Once
	parCh   chan parTask
)

// parallel runs j.f(i, nw) for i in [0, nw) (the first part on this
// goroutine, the others on a small shared pool of goroutines) and waits.
// Parts never wait on other parts; when the pool is busy the caller runs
// the part itself.
func parallel(j *parJob, nw int) {
	if nw <= 1 {
		j.f(0, 1)
		return
	}
	parOnce.Do(func() {
		parCh = make(chan parTask, 16)
		for range max(runtime.GOMAXPROCS(0), 2) - 1 {
			go func() {
				for t := range parCh {
					t.j.f(t.i, t.nw)
					t.j.wg.Done()
				}
			}()
		}
	})
	j.wg.Add(nw - 1)
	for i := 1; i < nw; i++ {
		select {
		case parCh <- parTask{j, i, nw}:
		default:
			j.f(i, nw)
			j.wg.Done()
		}
	}
	j.f(0, nw)
	j.wg.Wait()
}

// parMin is the number of values below which splitting is not worth it.
const parMin = 1 << 15

// workers is how many parts a job over size values gets.
func workers(size int) int {
	if size < parMin {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), size/parMin)
}

// span is part i of nw of [0, n).
func span(i, nw, n int) (lo, hi int) { return i * n / nw, (i + 1) * n / nw }

// layer is one module of an nn.Sequential.
type layer interface {
	kind() string // "conv", "relu", "maxpool", "flatten", "linear"
	inShape() shape
	outShape() shape
	params() []*Param
	// newState makes buffers for a batch of n. train adds the backward
	// buffers; needDx says whether the gradient with respect to the input
	// is wanted (not for the first layer).
	newState(n int, train, needDx bool) *layerState
	// forward returns the output for the input x (n images).
	forward(st *layerState, x []float32, n int) []float32
	// backward takes the output gradient dy and the forward input x and
	// returns the input gradient (nil when needDx was false); parameter
	// gradients are written to the params' Grad (overwritten, not added).
	backward(st *layerState, dy, x []float32, n int) []float32
	// clone copies the layer with fresh copies of its parameters.
	clone(prefix string) layer
}

// convLayer is torch.nn.Conv2d (zeros padding, bias) or, with linear set,
// torch.nn.Linear computed as a 1×1 convolution.
type convLayer struct {
	g       *conv.Geometry
	in, out shape
	linear  bool
	w, b    *Param
}

func newConv2d(name string, in shape, outC, k, pad int) (*convLayer, error) {
	g, err := conv.Spec{InChannels: in.C, OutChannels: outC, KernelSize: [2]int{k, k},
		Padding: [2]int{pad, pad}, Bias: true}.Resolve(in.H, in.W)
	if err != nil {
		return nil, err
	}
	ws := g.WeightShape()
	return &convLayer{
		g: g, in: in, out: shape{outC, g.OutH, g.OutW},
		w: newParam(name+".weight", ws[:]),
		b: newParam(name+".bias", []int{outC}),
	}, nil
}

func newLinear(name string, in shape, out int) (*convLayer, error) {
	if in.H != 1 || in.W != 1 {
		panic("mnist: Linear needs a flattened input")
	}
	g, err := conv.Spec{InChannels: in.C, OutChannels: out, KernelSize: [2]int{1, 1}, Bias: true}.Resolve(1, 1)
	if err != nil {
		return nil, err
	}
	return &convLayer{
		g: g, in: in, out: shape{out, 1, 1}, linear: true,
		w: newParam(name+".weight", []int{out, in.C}),
		b: newParam(name+".bias", []int{out}),
	}, nil
}

func (l *convLayer) kind() string {
	if l.linear {
		return "linear"
	}
	return "conv"
}
func (l *convLayer) inShape() shape   { return l.in }
func (l *convLayer) outShape() shape  { return l.out }
func (l *convLayer) params() []*Param { return []*Param{l.w, l.b} }

// fanIn is the fan-in PyTorch's default initialisation uses.
func (l *convLayer) fanIn() int { return l.g.InChannels * l.g.KernelSize[0] * l.g.KernelSize[1] }

func (l *convLayer) newState(n int, train, needDx bool) *layerState {
	st := &layerState{y: make([]float32, n*l.out.size()), c: conv.New(l.g)}
	if train && needDx {
		st.dx = make([]float32, n*l.in.size())
	}
	return st
}

func (l *convLayer) forward(st *layerState, x []float32, n int) []float32 {
	y := st.y[:n*l.out.size()]
	st.c.Forward(y, x, l.w.Data, l.b.Data, n)
	return y
}

// forwardPooled is forward followed by the max-pooling l2 (state st2,
// which receives the pooled values and winners, as l2.forward would), done
// image by image inside the convolution call. It returns the conv output
// and the pooled output.
func (l *convLayer) forwardPooled(st *layerState, l2 *poolLayer, st2 *layerState, x []float32, n int) (y, pooled []float32) {
	if st.epi == nil {
		in, out := l2.in.size(), l2.out.size()
		st.epi = func(ni int) {
			l2.p.MaxForward(st2.y[ni*out:(ni+1)*out], st2.idx[ni*out:(ni+1)*out], st.cy[ni*in:(ni+1)*in], 1)
		}
		st.pro = func(ni int) {
			l2.p.MaxBackward(st2.dx[ni*in:(ni+1)*in], st.dyPool[ni*out:(ni+1)*out], st2.idx[ni*out:(ni+1)*out], 1)
		}
	}
	y = st.y[:n*l.out.size()]
	st.cy, st.c.Epilogue = y, st.epi
	st.c.Forward(y, x, l.w.Data, l.b.Data, n)
	st.cy, st.c.Epilogue = nil, nil
	return y, st2.y[:n*l2.out.size()]
}

// backwardPooled is l2.backward (the max-pooling after this layer, with
// pooled gradient dy) followed by backward, the pooling's gradient routed
// image by image inside the convolution call (forwardPooled's pair).
func (l *convLayer) backwardPooled(st *layerState, l2 *poolLayer, st2 *layerState, dy, x []float32, n int) []float32 {
	var dx []float32
	if st.dx != nil {
		dx = st.dx[:n*l.in.size()]
	}
	st.dyPool, st.c.Prologue = dy, st.pro
	st.c.Backward(dx, l.w.grad(), l.b.grad(), st2.dx[:n*l2.in.size()], x, l.w.Data, n)
	st.dyPool, st.c.Prologue = nil, nil
	return dx
}

func (l *convLayer) backward(st *layerState, dy, x []float32, n int) []float32 {
	var dx []float32
	if st.dx != nil {
		dx = st.dx[:n*l.in.size()]
	}
	st.c.Backward(dx, l.w.grad(), l.b.grad(), dy, x, l.w.Data, n)
	return dx
}

func (l *convLayer) clone(string) layer {
	c := *l
	c.w, c.b = l.w.clone(), l.b.clone()
	return &c
}

// reluLayer is torch.nn.ReLU(inplace=True): it overwrites its input, which
// is safe after a convolution or linear layer (their backward does not
// need their own output).
type reluLayer struct{ s shape }

func (l *reluLayer) kind() string     { return "relu" }
func (l *reluLayer) inShape() shape   { return l.s }
func (l *reluLayer) outShape() shape  { return l.s }
func (l *reluLayer) params() []*Param { return nil }
func (l *reluLayer) newState(int, bool, bool) *layerState {
	st := &layerState{}
	st.job.f = func(i, nw int) {
		lo, hi := span(i, nw, len(st.a))
		if st.forward {
			reluForward(st.a[lo:hi])
		} else {
			reluBackward(st.a[lo:hi], st.b[lo:hi])
		}
	}
	return st
}
func (l *reluLayer) clone(string) layer { c := *l; return &c }
func (l *reluLayer) forward(st *layerState, x []float32, _ int) []float32 {
	st.a, st.forward = x, true
	parallel(&st.job, workers(len(x)))
	st.a = nil
	return x
}

// backward masks dy in place where the (in-place) output is not positive:
// PyTorch's threshold_backward(grad, result, 0).
func (l *reluLayer) backward(st *layerState, dy, y []float32, _ int) []float32 {
	st.a, st.b, st.forward = dy, y[:len(dy)], false
	parallel(&st.job, workers(len(dy)))
	st.a, st.b = nil, nil
	return dy
}

// ReLU's sign tests are done on the bits, without branches: about half of
// the values are negative in no predictable order, and mispredicted
// branches made these loops several times slower.

// reluForward sets negative values to 0 (-0 too); NaN stays NaN, as in
// PyTorch.
func reluForward(x []float32) {
	for i, v := range x {
		b := math.Float32bits(v)
		neg := uint32(int32(b) >> 31)                           // all ones if the sign bit is set
		nan := uint32((0x7f800000 - int64(b&0x7fffffff)) >> 63) // all ones if NaN
		x[i] = math.Float32frombits(b &^ (neg &^ nan))
	}
}

// reluBackward zeroes dy where the ReLU's output y is not positive (0 or
// NaN): PyTorch's threshold_backward(grad, result, 0).
func reluBackward(dy, y []float32) {
	y = y[:len(dy)]
	for i, v := range y {
		u := math.Float32bits(v) - 1                  // wraps for +0: 0 < v ≤ +Inf  ⇔  u < 0x7f800000
		keep := uint32((int64(u) - 0x7f800000) >> 63) // all ones then
		dy[i] = math.Float32frombits(math.Float32bits(dy[i]) & keep)
	}
}

// poolLayer is torch.nn.MaxPool2d(k). An n×C×H×W batch is n·C planes of
// H×W, so it runs as a conv.Pool of one channel over n·C "images": that
// lets the work split over the cores by planes, even for one image.
type poolLayer struct {
	p       *conv.Pool // the layer as PyTorch sees it: C channels
	plane   *conv.Pool // the same pooling on one channel
	in, out shape
}

func newMaxPool(in shape, k int) (*poolLayer, error) {
	p, err := conv.PoolSpec{Kernel: [2]int{k, k}}.Resolve(in.C, in.H, in.W)
	if err != nil {
		return nil, err
	}
	plane, err := conv.PoolSpec{Kernel: [2]int{k, k}}.Resolve(1, in.H, in.W)
	if err != nil {
		return nil, err
	}
	return &poolLayer{p: p, plane: plane, in: in, out: shape{in.C, p.OutH, p.OutW}}, nil
}

func (l *poolLayer) kind() string       { return "maxpool" }
func (l *poolLayer) inShape() shape     { return l.in }
func (l *poolLayer) outShape() shape    { return l.out }
func (l *poolLayer) params() []*Param   { return nil }
func (l *poolLayer) clone(string) layer { c := *l; return &c }
func (l *poolLayer) newState(n int, train, needDx bool) *layerState {
	st := &layerState{y: make([]float32, n*l.out.size()), idx: make([]int32, n*l.out.size())}
	if train && needDx {
		st.dx = make([]float32, n*l.in.size())
	}
	in, out := l.in.H*l.in.W, l.out.H*l.out.W
	st.job.f = func(i, nw int) { // planes [lo, hi) of the batch
		lo, hi := span(i, nw, st.n)
		if st.forward {
			l.plane.MaxForward(st.b[lo*out:hi*out], st.idx[lo*out:hi*out], st.a[lo*in:hi*in], hi-lo)
		} else {
			l.plane.MaxBackward(st.b[lo*in:hi*in], st.a[lo*out:hi*out], st.idx[lo*out:hi*out], hi-lo)
		}
	}
	return st
}

// poolParts is how many parts pooling over size input values gets: pooling
// costs several nanoseconds per value, so it splits from a few thousand.
func poolParts(planes, size int) int {
	if size < 1<<12 {
		return 1
	}
	return min(planes, runtime.GOMAXPROCS(0), size>>12)
}

func (l *poolLayer) forward(st *layerState, x []float32, n int) []float32 {
	y := st.y[:n*l.out.size()]
	st.a, st.b, st.n, st.forward = x, y, n*l.in.C, true
	parallel(&st.job, poolParts(st.n, len(x)))
	st.a, st.b = nil, nil
	return y
}

func (l *poolLayer) backward(st *layerState, dy, _ []float32, n int) []float32 {
	if st.dx == nil {
		return nil
	}
	dx := st.dx[:n*l.in.size()]
	st.a, st.b, st.n, st.forward = dy, dx, n*l.in.C, false
	parallel(&st.job, poolParts(st.n, len(dx)))
	st.a, st.b = nil, nil
	return dx
}

// flattenLayer is torch.nn.Flatten(): NCHW is already row-major per image,
// so it only changes the shape.
type flattenLayer struct{ in shape }

func (l *flattenLayer) kind() string                         { return "flatten" }
func (l *flattenLayer) inShape() shape                       { return l.in }
func (l *flattenLayer) outShape() shape                      { return shape{l.in.size(), 1, 1} }
func (l *flattenLayer) params() []*Param                     { return nil }
func (l *flattenLayer) newState(int, bool, bool) *layerState { return &layerState{} }
func (l *flattenLayer) clone(string) layer                   { c := *l; return &c }
func (l *flattenLayer) forward(_ *layerState, x []float32, _ int) []float32 {
	return x
}
func (l *flattenLayer) backward(_ *layerState, dy, _ []float32, _ int) []float32 {
	return dy
}

// softmaxCrossEntropy is torch.nn.functional.cross_entropy(logits, labels)
// (mean over the batch) with its gradient. logits is n×k; probs and dlogits
// (n×k, either may be nil) receive the softmax and d loss / d logits. It
// returns the mean loss and how many rows' largest logit (the first, as
// torch.argmax) is the label. The log-sum-exp subtracts the row maximum and
// sums in float64, so large logits cannot overflow.
func softmaxCrossEntropy(probs, dlogits, logits []float32, labels []uint8, n, k int) (loss float64, correct int) {
	if len(logits) < n*k || len(labels) < n {
		panic("mnist: softmaxCrossEntropy: short slices")
	}
	inv := 1 / float64(n)
	for i := range n {
		row := logits[i*k : (i+1)*k]
		m, arg := row[0], 0
		for j, v := range row {
			if v > m {
				m, arg = v, j
			}
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - m))
		}
		lse := float64(m) + math.Log(s)
		lab := int(labels[i])
		loss += lse - float64(row[lab])
		if arg == lab {
			correct++
		}
		for j, v := range row {
			p := math.Exp(float64(v) - lse)
			if probs != nil {
				probs[i*k+j] = float32(p)
			}
			if dlogits != nil {
				if j == lab {
					p--
				}
				dlogits[i*k+j] = float32(p * inv)
			}
		}
	}
	return loss * inv, correct
}

// softmax writes the softmax of each row of logits (n×k) to probs.
func softmax(probs, logits []float32, n, k int) {
	for i := range n {
		softmaxRow(probs[i*k:(i+1)*k], logits[i*k:(i+1)*k], nil)
	}
}

// softmaxRow writes the softmax of row to probs: exp(v − max) over their
// sum (float64). exps, if not nil, receives each exp(v − max); it returns
// the max and the sum (for SoftmaxSteps).
func softmaxRow(probs, row []float32, exps []float64) (m float32, s float64) {
	m = row[0]
	for _, v := range row {
		if v > m {
			m = v
		}
	}
	for j, v := range row {
		e := math.Exp(float64(v - m))
		if exps != nil {
			exps[j] = e
		}
		s += e
	}
	for j, v := range row {
		probs[j] = float32(math.Exp(float64(v-m)) / s)
	}
	return m, s
}
