package conv

// Golden tests: the engine against PyTorch.
//
// The fixtures in testdata/golden.json.gz are PyTorch's own answers, made by
// a committed script (Debian's python3-torch; `go test` never needs Python):
//
//	/usr/bin/python3 scripts/gen_conv_golden.py   # or: make golden
//
// They hold ≥ 300 random Conv2d / ConvTranspose2d configurations covering
// every parameter (plus hand-picked boundary cases PyTorch accepts) with
// inputs, weights, bias and an output gradient, and PyTorch's forward output
// and gradients of input, weight and bias; configurations PyTorch rejects;
// the copy sources of F.pad's reflect/replicate/circular modes; and pooling.
// Values are compared with a tolerance of 1e-4 of the largest magnitude of
// the expected tensor (the script checks PyTorch's own float32 result is
// within 1e-5 of its float64 reference, so the tolerance is meaningful).
//
// FOR THE PERF HELPER (and anyone adding a kernel path): every entry of
// goldenImpls is held to every fixture, and so is every GEMM kernel in
// gemmKernels (see golden_kernels_test.go: conv.New with c.kern set to each
// kernel, the portable one included). To put another path under the
// golden tests, append to goldenImpls from an init function in YOUR OWN test
// file (package-level variables are initialised before init runs), e.g.
//
//	func init() {
//		goldenImpls = append(goldenImpls, goldenImpl{"fast/no-gather", func(g *Geometry) goldenRunner {
//			c := New(g)
//			c.noGather = true // whatever switch selects your path
//			return c
//		}})
//	}
//
// A goldenRunner is made once per configuration and then called several
// times (forward twice, backward with every output and with some nil), so
// scratch-buffer reuse is exercised too. Output buffers are filled with NaN
// before each call: an implementation must overwrite every element.
// Run just these tests with: go test ./conv/ -run Golden
//
// Deliberate differences from PyTorch, outside the fixtures: a Go Spec's
// zero Stride, Dilation or Groups means "the default, 1" (PyTorch rejects
// an explicit 0: callers taking user input, like POST /api/conv, must reject
// it themselves), and convlab refuses in_channels/out_channels of 0 and
// sizes above MaxDim/MaxChannels, which PyTorch would run.

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// goldenRunner is what an implementation under test offers; *Conv is one.
type goldenRunner interface {
	Forward(y, x, w, b []float32, n int)
	Backward(dx, dw, db, dy, x, w []float32, n int)
}

// goldenImpl is one implementation of the engine the golden tests check.
type goldenImpl struct {
	name string
	new  func(g *Geometry) goldenRunner
}

type naiveRunner struct{ g *Geometry }

func (r naiveRunner) Forward(y, x, w, b []float32, n int) { ForwardNaive(r.g, y, x, w, b, n) }
func (r naiveRunner) Backward(dx, dw, db, dy, x, w []float32, n int) {
	BackwardNaive(r.g, dx, dw, db, dy, x, w, n)
}

// goldenImpls lists the implementations held to PyTorch. Extend it from an
// init function in your own _test.go file (see the comment at the top).
var goldenImpls = []goldenImpl{
	{"naive", func(g *Geometry) goldenRunner { return naiveRunner{g} }},
	{"fast", func(g *Geometry) goldenRunner { return New(g) }},
	{"fast/1worker", func(g *Geometry) goldenRunner { c := New(g); c.Workers = 1; return c }},
}

// goldenSpec is a Spec as the generator writes it (PyTorch's names).
type goldenSpec struct {
	InChannels    int    `json:"in_channels"`
	OutChannels   int    `json:"out_channels"`
	KernelSize    [2]int `json:"kernel_size"`
	Stride        [2]int `json:"stride"`
	Padding       [2]int `json:"padding"`
	PaddingStr    string `json:"padding_str"`
	Dilation      [2]int `json:"dilation"`
	Groups        int    `json:"groups"`
	Bias          bool   `json:"bias"`
	PaddingMode   string `json:"padding_mode"`
	Transposed    bool   `json:"transposed"`
	OutputPadding [2]int `json:"output_padding"`
}

func (s goldenSpec) Spec() Spec {
	return Spec{
		InChannels: s.InChannels, OutChannels: s.OutChannels, KernelSize: s.KernelSize, Stride: s.Stride,
		Padding: s.Padding, PaddingStr: s.PaddingStr, Dilation: s.Dilation, Groups: s.Groups, Bias: s.Bias,
		PaddingMode: PaddingMode(s.PaddingMode), Transposed: s.Transposed, OutputPadding: s.OutputPadding,
	}
}

func (s goldenSpec) String() string {
	kind := "Conv2d"
	if s.Transposed {
		kind = "ConvTranspose2d"
	}
	pad := fmt.Sprint(s.Padding)
	if s.PaddingStr != "" {
		pad = fmt.Sprintf("%q", s.PaddingStr)
	}
	extra := ""
	if s.Transposed {
		extra = fmt.Sprintf(" output_padding=%v", s.OutputPadding)
	}
	return fmt.Sprintf("%s(%d, %d, kernel_size=%v, stride=%v, padding=%s, dilation=%v, groups=%d, bias=%v, padding_mode=%s%s)",
		kind, s.InChannels, s.OutChannels, s.KernelSize, s.Stride, pad, s.Dilation, s.Groups, s.Bias, s.PaddingMode, extra)
}

type goldenConv struct {
	Name     string     `json:"name"`
	Spec     goldenSpec `json:"spec"`
	N        int        `json:"n"`
	InH      int        `json:"in_h"`
	InW      int        `json:"in_w"`
	OutShape [4]int     `json:"out_shape"`
	X        []float32  `json:"x"`
	W        []float32  `json:"w"`
	B        []float32  `json:"b"`
	GY       []float32  `json:"gy"`
	Y        []float32  `json:"y"`
	GX       []float32  `json:"gx"`
	GW       []float32  `json:"gw"`
	GB       []float32  `json:"gb"`
}

func (c *goldenConv) describe() string {
	return fmt.Sprintf("%s: %v on input %dx%dx%dx%d", c.Name, c.Spec, c.N, c.Spec.InChannels, c.InH, c.InW)
}

type goldenReject struct {
	Name       string     `json:"name"`
	Spec       goldenSpec `json:"spec"`
	N          int        `json:"n"`
	InH        int        `json:"in_h"`
	InW        int        `json:"in_w"`
	Param      string     `json:"param"`    // "" for random cases: only "rejected" is checked
	Contains   []string   `json:"contains"` // numbers our message must mention
	TorchError string     `json:"torch_error"`
}

type goldenPad struct {
	Mode                     string `json:"mode"`
	InH                      int    `json:"in_h"`
	InW                      int    `json:"in_w"`
	Top, Bottom, Left, Right int
	Src                      []int `json:"src"` // F.pad of arange(InH*InW): the flat input index each cell shows
}

type goldenPool struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind"` // "max" | "avg"
	Kernel     [2]int    `json:"kernel"`
	Stride     [2]int    `json:"stride"` // 0, 0: PyTorch's stride=None (= kernel)
	Padding    [2]int    `json:"padding"`
	N          int       `json:"n"`
	C          int       `json:"c"`
	InH        int       `json:"in_h"`
	InW        int       `json:"in_w"`
	OutShape   [4]int    `json:"out_shape"`
	X          []float32 `json:"x"`
	GY         []float32 `json:"gy"`
	Y          []float32 `json:"y"`
	GX         []float32 `json:"gx"`
	Param      string    `json:"param"`
	Contains   []string  `json:"contains"`
	TorchError string    `json:"torch_error"`
}

type goldenFile struct {
	Generator    string         `json:"generator"`
	TorchVersion string         `json:"torch_version"`
	Conv         []goldenConv   `json:"conv"`
	Reject       []goldenReject `json:"reject"`
	Pad          []goldenPad    `json:"pad"`
	Pool         []goldenPool   `json:"pool"`
	PoolReject   []goldenPool   `json:"pool_reject"`
}

var (
	goldenOnce sync.Once
	goldenData *goldenFile
	goldenErr  error
)

// loadGolden reads testdata/golden.json.gz once per test binary.
func loadGolden(t testing.TB) *goldenFile {
	t.Helper()
	goldenOnce.Do(func() {
		f, err := os.Open("testdata/golden.json.gz")
		if err != nil {
			goldenErr = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			goldenErr = err
			return
		}
		var g goldenFile
		if err := json.NewDecoder(zr).Decode(&g); err != nil {
			goldenErr = fmt.Errorf("decoding golden file: %w", err)
			return
		}
		goldenData = &g
	})
	if goldenErr != nil {
		t.Fatalf("%v (regenerate with: /usr/bin/python3 scripts/gen_conv_golden.py)", goldenErr)
	}
	return goldenData
}

// closeTo checks got against PyTorch's want within 1e-4 of want's largest
// magnitude, reporting the worst element with its NCHW position.
func closeTo(t testing.TB, what string, got, want []float32, shape [4]int) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, PyTorch has %d", what, len(got), len(want))
		return false
	}
	var scale float64
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	tol := 1e-4*scale + 1e-7
	worst, bad, wi := 0.0, 0, -1
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > tol || math.IsNaN(d) {
			bad++
			if d > worst || math.IsNaN(d) && wi < 0 {
				worst, wi = d, i
			}
		}
	}
	if bad == 0 {
		return true
	}
	pos := fmt.Sprint(wi)
	if shape[1]*shape[2]*shape[3] > 0 {
		c, h, w := shape[1], shape[2], shape[3]
		pos = fmt.Sprintf("[%d,%d,%d,%d]", wi/(c*h*w), wi/(h*w)%c, wi/w%h, wi%w)
	}
	t.Errorf("%s: %d of %d values differ from PyTorch by more than %.3g; worst at %s: got %v, want %v",
		what, bad, len(got), tol, pos, got[wi], want[wi])
	return false
}

func nanFilled(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

// TestGoldenCoverage keeps the fixtures honest: they must exercise every
// parameter, or a regenerated file with a narrower sampler would still pass.
func TestGoldenCoverage(t *testing.T) {
	gf := loadGolden(t)
	count := map[string]int{}
	for _, c := range gf.Conv {
		s := c.Spec
		add := func(k string, ok bool) {
			if ok {
				count[k]++
			}
		}
		cinG := s.InChannels / s.Groups
		add("rectangular kernel", s.KernelSize[0] != s.KernelSize[1])
		add("stride > 1", s.Stride[0] > 1 || s.Stride[1] > 1)
		add("numeric padding > 0", s.PaddingStr == "" && (s.Padding[0] > 0 || s.Padding[1] > 0))
		add("negative padding (crop)", s.Padding[0] < 0 || s.Padding[1] < 0)
		add("padding valid", s.PaddingStr == "valid")
		add("padding same", s.PaddingStr == "same")
		add("same with odd total (extra right/bottom)", s.PaddingStr == "same" &&
			((s.KernelSize[0]-1)*s.Dilation[0]%2 == 1 || (s.KernelSize[1]-1)*s.Dilation[1]%2 == 1))
		add("same with dilation", s.PaddingStr == "same" && (s.Dilation[0] > 1 || s.Dilation[1] > 1))
		add("dilation > 1", s.Dilation[0] > 1 || s.Dilation[1] > 1)
		add("groups (not depthwise)", s.Groups > 1 && cinG > 1)
		add("depthwise", s.Groups > 1 && cinG == 1)
		add("bias", s.Bias)
		add("no bias", !s.Bias)
		add("mode "+s.PaddingMode, !s.Transposed && (s.PaddingStr == "same" || s.Padding != [2]int{}))
		add("transposed", s.Transposed)
		add("transposed stride > 1", s.Transposed && (s.Stride[0] > 1 || s.Stride[1] > 1))
		add("transposed output_padding", s.Transposed && s.OutputPadding != [2]int{})
		add("transposed groups", s.Transposed && s.Groups > 1)
		add("transposed dilation", s.Transposed && (s.Dilation[0] > 1 || s.Dilation[1] > 1))
		add("transposed padding", s.Transposed && s.Padding != [2]int{})
		add(fmt.Sprintf("batch %d", c.N), true)
	}
	for _, k := range []string{"rectangular kernel", "stride > 1", "numeric padding > 0", "negative padding (crop)",
		"padding valid", "padding same", "same with odd total (extra right/bottom)", "same with dilation", "dilation > 1",
		"groups (not depthwise)", "depthwise", "bias", "no bias", "mode zeros", "mode reflect", "mode replicate",
		"mode circular", "transposed", "transposed stride > 1", "transposed output_padding", "transposed groups",
		"transposed dilation", "transposed padding", "batch 1", "batch 2", "batch 3"} {
		if count[k] < 5 {
			t.Errorf("fixtures cover %q only %d times, want at least 5", k, count[k])
		}
	}
	if len(gf.Conv) < 300 {
		t.Errorf("%d accepted configurations, want at least 300", len(gf.Conv))
	}
	named := 0
	for _, r := range gf.Reject {
		if r.Param != "" {
			named++
		}
	}
	if named < 40 {
		t.Errorf("%d hand-written rejected configurations, want at least 40", named)
	}
	if len(gf.Pool) < 20 || len(gf.PoolReject) < 5 || len(gf.Pad) < 30 {
		t.Errorf("pool %d, pool_reject %d, pad %d: too few", len(gf.Pool), len(gf.PoolReject), len(gf.Pad))
	}
	t.Logf("PyTorch %s; %d accepted, %d rejected (%d hand-written), %d pooling, coverage %v",
		gf.TorchVersion, len(gf.Conv), len(gf.Reject), named, len(gf.Pool), count)
}

// TestGoldenResolveAccepts: every configuration PyTorch runs resolves here,
// to PyTorch's output shape.
func TestGoldenResolveAccepts(t *testing.T) {
	gf := loadGolden(t)
	for i := range gf.Conv {
		c := &gf.Conv[i]
		g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
		if err != nil {
			t.Errorf("%s\n  PyTorch accepts it, Resolve says: %v", c.describe(), err)
			continue
		}
		got := [4]int{c.N, g.OutChannels, g.OutH, g.OutW}
		if got != c.OutShape {
			t.Errorf("%s\n  output shape %v, PyTorch %v", c.describe(), got, c.OutShape)
		}
		ws := g.WeightShape()
		if n := ws[0] * ws[1] * ws[2] * ws[3]; n != len(c.W) {
			t.Errorf("%s\n  weight shape %v (%d values), PyTorch has %d values", c.describe(), ws, n, len(c.W))
		}
		if g.XLen(c.N) != len(c.X) || g.OutLen(c.N) != len(c.Y) {
			t.Errorf("%s\n  XLen/OutLen %d/%d, PyTorch %d/%d", c.describe(), g.XLen(c.N), g.OutLen(c.N), len(c.X), len(c.Y))
		}
		if wantP := len(c.W) + len(c.B); g.ParamCount() != wantP {
			t.Errorf("%s\n  ParamCount %d, want %d", c.describe(), g.ParamCount(), wantP)
		}
	}
}

// TestGoldenResolveRejects: every configuration PyTorch refuses is refused
// here, with an *Error naming the parameter and the numbers involved.
func TestGoldenResolveRejects(t *testing.T) {
	gf := loadGolden(t)
	for _, r := range gf.Reject {
		g, err := r.Spec.Spec().Resolve(r.InH, r.InW)
		desc := fmt.Sprintf("%s: %v on a %dx%d input\n  PyTorch: %s", r.Name, r.Spec, r.InH, r.InW, r.TorchError)
		if err == nil {
			t.Errorf("%s\n  Resolve accepted it (output %dx%d)", desc, g.OutH, g.OutW)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s\n  error %T is not a *conv.Error: %v", desc, err, err)
			continue
		}
		// Every message names its parameter as PyTorch spells it ("kernel" will do for kernel_size).
		word, known := map[string]string{"in_channels": "in_channels", "out_channels": "out_channels",
			"kernel_size": "kernel", "stride": "stride", "padding": "padding", "dilation": "dilation", "groups": "groups",
			"padding_mode": "padding_mode", "output_padding": "output_padding", "input": "input"}[ce.Param]
		if !known || !strings.Contains(ce.Msg, word) {
			t.Errorf("%s\n  our error's Param %q is not a PyTorch parameter named in its message: %s", desc, ce.Param, ce.Msg)
		}
		checkErrorCode(t, desc, ce)
		if r.Param == "" {
			continue
		}
		if ce.Param != r.Param {
			t.Errorf("%s\n  our error names %q, want %q: %s", desc, ce.Param, r.Param, ce.Msg)
		}
		for _, s := range r.Contains {
			if !strings.Contains(ce.Msg, s) && !strings.Contains(ce.Msg, strings.ReplaceAll(s, "x", "×")) {
				t.Errorf("%s\n  our message does not mention %q: %s", desc, s, ce.Msg)
			}
		}
	}
}

// TestGoldenValues holds forward and all three gradients of every
// implementation in goldenImpls to PyTorch.
func TestGoldenValues(t *testing.T) {
	gf := loadGolden(t)
	impls := append(append([]goldenImpl(nil), goldenImpls...), kernelGoldenImpls()...)
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			failures := 0
			for i := range gf.Conv {
				if failures >= 10 {
					t.Fatalf("stopping after %d failing configurations", failures)
				}
				if !checkGoldenConv(t, impl, &gf.Conv[i], i) {
					failures++
				}
			}
		})
	}
}

func checkGoldenConv(t *testing.T, impl goldenImpl, c *goldenConv, i int) bool {
	t.Helper()
	g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
	if err != nil {
		t.Errorf("%s: Resolve: %v", c.describe(), err)
		return false
	}
	ok := true
	fail := func(what string, got, want []float32, shape [4]int) {
		if !closeTo(t, c.describe()+"\n  "+impl.name+" "+what, got, want, shape) {
			ok = false
		}
	}
	xs := [4]int{c.N, c.Spec.InChannels, c.InH, c.InW}
	ws := g.WeightShape()
	bs := [4]int{1, 1, 1, len(c.B)}
	var b []float32
	if c.Spec.Bias {
		b = c.B
	}
	r := impl.new(g)
	for pass := range 2 { // twice: scratch buffers must not leak between calls
		y := nanFilled(len(c.Y))
		r.Forward(y, c.X, c.W, b, c.N)
		fail(fmt.Sprintf("forward (call %d)", pass+1), y, c.Y, c.OutShape)
	}
	dx, dw := nanFilled(len(c.X)), nanFilled(len(c.W))
	var db []float32
	if b != nil {
		db = nanFilled(len(b))
	}
	r.Backward(dx, dw, db, c.GY, c.X, c.W, c.N)
	fail("grad input", dx, c.GX, xs)
	fail("grad weight", dw, c.GW, ws)
	if b != nil {
		fail("grad bias", db, c.GB, bs)
	}
	// Again with some gradients skipped (as when the first layer needs no dx).
	switch i % 3 {
	case 0:
		dx = nanFilled(len(c.X))
		r.Backward(dx, nil, nil, c.GY, c.X, c.W, c.N)
		fail("grad input (alone)", dx, c.GX, xs)
	case 1:
		dw = nanFilled(len(c.W))
		r.Backward(nil, dw, nil, c.GY, c.X, c.W, c.N)
		fail("grad weight (alone)", dw, c.GW, ws)
	case 2:
		dw = nanFilled(len(c.W))
		if b != nil {
			db = nanFilled(len(b))
		}
		r.Backward(nil, dw, db, c.GY, c.X, c.W, c.N)
		fail("grad weight (no dx)", dw, c.GW, ws)
		if b != nil {
			fail("grad bias (no dx)", db, c.GB, bs)
		}
	}
	return ok
}

// TestGoldenPadSources: the cell each reflect/replicate/circular padding
// cell copies is the one F.pad copies.
func TestGoldenPadSources(t *testing.T) {
	gf := loadGolden(t)
	for _, p := range gf.Pad {
		ph, pw := p.InH+p.Top+p.Bottom, p.InW+p.Left+p.Right
		if len(p.Src) != ph*pw {
			t.Fatalf("pad fixture %+v: %d sources for %dx%d", p, len(p.Src), ph, pw)
		}
		for y := range ph {
			for x := range pw {
				sy, py := SourceIndex(PaddingMode(p.Mode), y, p.Top, p.InH)
				sx, px := SourceIndex(PaddingMode(p.Mode), x, p.Left, p.InW)
				want := p.Src[y*pw+x]
				if sy*p.InW+sx != want || sy < 0 || sx < 0 {
					t.Errorf("F.pad(mode=%s, pad=(l%d r%d t%d b%d)) of %dx%d: cell (%d,%d) copies input (%d,%d), we say (%d,%d)",
						p.Mode, p.Left, p.Right, p.Top, p.Bottom, p.InH, p.InW, y, x, want/p.InW, want%p.InW, sy, sx)
				}
				inside := y >= p.Top && y < p.Top+p.InH && x >= p.Left && x < p.Left+p.InW
				if inside == (py || px) {
					t.Errorf("mode %s %dx%d pad (l%d r%d t%d b%d): cell (%d,%d) padding flags %v,%v",
						p.Mode, p.InH, p.InW, p.Left, p.Right, p.Top, p.Bottom, y, x, py, px)
				}
			}
		}
	}
}

func (p *goldenPool) spec() PoolSpec {
	return PoolSpec{Kernel: p.Kernel, Stride: p.Stride, Padding: p.Padding}
}

func (p *goldenPool) describe() string {
	return fmt.Sprintf("%s: %s_pool2d(kernel_size=%v, stride=%v, padding=%v) on %dx%dx%dx%d",
		p.Name, p.Kind, p.Kernel, p.Stride, p.Padding, p.N, p.C, p.InH, p.InW)
}

// TestGoldenPool: max and average pooling, forward and backward, as PyTorch
// (ties included: the first maximum of a window takes the gradient).
func TestGoldenPool(t *testing.T) {
	gf := loadGolden(t)
	for i := range gf.Pool {
		c := &gf.Pool[i]
		p, err := c.spec().Resolve(c.C, c.InH, c.InW)
		if err != nil {
			t.Errorf("%s: PyTorch accepts it, Resolve says: %v", c.describe(), err)
			continue
		}
		if got := [4]int{c.N, p.C, p.OutH, p.OutW}; got != c.OutShape {
			t.Errorf("%s: output shape %v, PyTorch %v", c.describe(), got, c.OutShape)
			continue
		}
		xs := [4]int{c.N, c.C, c.InH, c.InW}
		y, dx := nanFilled(len(c.Y)), nanFilled(len(c.X))
		switch c.Kind {
		case "max":
			idx := make([]int32, len(y))
			p.MaxForward(y, idx, c.X, c.N)
			closeTo(t, c.describe()+" forward", y, c.Y, c.OutShape)
			p.MaxBackward(dx, c.GY, idx, c.N)
			closeTo(t, c.describe()+" backward", dx, c.GX, xs)
			y2 := nanFilled(len(c.Y))
			p.MaxForward(y2, nil, c.X, c.N)
			closeTo(t, c.describe()+" forward without indices", y2, c.Y, c.OutShape)
		case "avg":
			p.AvgForward(y, c.X, c.N)
			closeTo(t, c.describe()+" forward", y, c.Y, c.OutShape)
			p.AvgBackward(dx, c.GY, c.N)
			closeTo(t, c.describe()+" backward", dx, c.GX, xs)
		default:
			t.Fatalf("unknown pooling kind %q", c.Kind)
		}
	}
}

func TestGoldenPoolRejects(t *testing.T) {
	gf := loadGolden(t)
	for i := range gf.PoolReject {
		c := &gf.PoolReject[i]
		p, err := c.spec().Resolve(c.C, c.InH, c.InW)
		desc := c.describe() + "\n  PyTorch: " + c.TorchError
		if err == nil {
			t.Errorf("%s\n  Resolve accepted it (output %dx%d)", desc, p.OutH, p.OutW)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s\n  error %T is not a *conv.Error", desc, err)
			continue
		}
		checkErrorCode(t, desc, ce)
		if ce.Param != c.Param {
			t.Errorf("%s\n  our error names %q, want %q: %s", desc, ce.Param, c.Param, ce.Msg)
		}
		for _, s := range c.Contains {
			if !strings.Contains(ce.Msg, s) && !strings.Contains(ce.Msg, strings.ReplaceAll(s, "x", "×")) {
				t.Errorf("%s\n  our message does not mention %q: %s", desc, s, ce.Msg)
			}
		}
	}
}

// TestMaxPoolNaN: PyTorch's CPU kernel lets a NaN beat every number, and the
// last NaN of a window win (the gradient goes there).
func TestMaxPoolNaN(t *testing.T) {
	p, err := PoolSpec{Kernel: [2]int{1, 4}}.Resolve(1, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	y, idx := make([]float32, 1), make([]int32, 1)
	p.MaxForward(y, idx, []float32{1, nan, 3, nan}, 1)
	if !math.IsNaN(float64(y[0])) || idx[0] != 3 {
		t.Errorf("max of [1 NaN 3 NaN] = %v at %d, PyTorch gives NaN at 3", y[0], idx[0])
	}
	inf := float32(math.Inf(-1))
	p.MaxForward(y, idx, []float32{inf, inf, inf, inf}, 1)
	if idx[0] != 0 {
		t.Errorf("max of all -Inf picked %d, PyTorch picks 0", idx[0])
	}
}
