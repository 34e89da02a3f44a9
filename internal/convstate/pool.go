package convstate

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
)

// Pooling in the visualizer (/conv/pool): nn.MaxPool2d and nn.AvgPool2d
// on one input channel, stepped through one output cell at a time. Like
// State, a PoolState is read from a URL query (ParsePool), written back
// only by Query/URL, and bounded in one place (Resolve, with the engine's
// own rules from conv.PoolSpec).

// Pooling operations.
const (
	OpMaxPool Op = "max_pool" // nn.MaxPool2d
	OpAvgPool Op = "avg_pool" // nn.AvgPool2d
)

// PoolState is the pooling visualizer's state.
type PoolState struct {
	Preset     string    `json:"preset"`
	Op         Op        `json:"op"`
	InH, InW   int       `json:"-"`
	KH, KW     int       `json:"-"`
	SH, SW     int       `json:"-"` // 0: the kernel size (PyTorch's default)
	PH, PW     int       `json:"-"`
	DH, DW     int       `json:"-"` // max pooling only
	CeilMode   bool      `json:"ceil_mode"`
	ExcludePad bool      `json:"exclude_pad"` // count_include_pad=False (average pooling)
	Step       int       `json:"step"`        // 1-based
	X          []float32 `json:"x"`           // InH × InW
	XSet       bool      `json:"x_set"`
}

// PoolPreset is a named pooling example.
type PoolPreset struct {
	Name, Key string
	State     PoolState
}

var guide5x5 = []float32{3, 3, 2, 1, 0, 0, 0, 1, 3, 1, 3, 1, 2, 2, 3, 2, 0, 0, 2, 2, 2, 0, 0, 0, 1}

// PoolPresets are the pooling examples, in the order the page lists them:
// conv_arithmetic's numerical max and average pooling, the MNIST
// network's MaxPool2d(2), ceil_mode, padding in an average, dilation.
var PoolPresets = []PoolPreset{
	{"max", "conv.pool.preset.max", PoolState{Op: OpMaxPool, InH: 5, InW: 5, KH: 3, KW: 3, SH: 1, SW: 1, X: guide5x5, XSet: true}},
	{"avg", "conv.pool.preset.avg", PoolState{Op: OpAvgPool, InH: 5, InW: 5, KH: 3, KW: 3, SH: 1, SW: 1, X: guide5x5, XSet: true}},
	{"mnist", "conv.pool.preset.mnist", PoolState{Op: OpMaxPool, InH: 6, InW: 6, KH: 2, KW: 2}},
	{"ceil", "conv.pool.preset.ceil", PoolState{Op: OpMaxPool, InH: 5, InW: 5, KH: 2, KW: 2, CeilMode: true, X: guide5x5, XSet: true}},
	{"avg-padding", "conv.pool.preset.avg_padding", PoolState{Op: OpAvgPool, InH: 4, InW: 4, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}},
	{"dilation", "conv.pool.preset.dilation", PoolState{Op: OpMaxPool, InH: 7, InW: 7, KH: 2, KW: 2, SH: 2, SW: 2, DH: 2, DW: 2}},
}

// PoolParams are the query parameters of a pooling state.
var PoolParams = []string{"preset", "op", "input", "kernel", "stride", "padding", "dilation", "ceil_mode", "count_include_pad", "x", "step"}

// FillPoolX is the default input: small whole numbers 0..3.
func FillPoolX(h, w int) []float32 {
	x := make([]float32, h*w)
	for y := range h {
		for c := range w {
			x[y*w+c] = float32((3*y + 2*c + y*c + 1) % 4)
		}
	}
	return x
}

// ParsePool reads a pooling state from a query: a preset, then any of op
// (max_pool, avg_pool), input, kernel, stride, padding, dilation ("N" or
// "HxW"), ceil_mode and count_include_pad (1/0), x (InH·InW numbers) and
// step. Errors are *Error ("conv.err.<Key>").
func ParsePool(q url.Values) (PoolState, error) {
	for k, v := range q {
		if len(v) > 1 {
			return PoolState{}, errorf(k, "pair", clip(k, 20), clip(strings.Join(v, ","), 20))
		}
	}
	s := PoolPresets[0].State
	s.Preset = PoolPresets[0].Name
	if v := q.Get("preset"); v != "" {
		found := false
		for _, p := range PoolPresets {
			if p.Name == v {
				s, s.Preset, found = p.State, p.Name, true
			}
		}
		if !found {
			names := make([]string, len(PoolPresets))
			for i, p := range PoolPresets {
				names[i] = p.Name
			}
			return PoolState{}, errorf("preset", "preset", clip(v, 40), strings.Join(names, ", "))
		}
	}
	s.X = append([]float32(nil), s.X...)
	changed := false
	if v, ok := param(q, "op"); ok {
		switch Op(v) {
		case OpMaxPool, OpAvgPool:
			s.Op = Op(v)
		default:
			return PoolState{}, errorf("op", "pool_op", clip(v, 20))
		}
		changed = true
	}
	pairs := []struct {
		name   string
		h, w   *int
		lo, hi int
	}{{"input", &s.InH, &s.InW, 1, MaxInput}, {"kernel", &s.KH, &s.KW, 1, MaxKernel}, {"stride", &s.SH, &s.SW, 1, MaxStride},
		{"padding", &s.PH, &s.PW, 0, MaxPadding}, {"dilation", &s.DH, &s.DW, 1, MaxDilation}}
	for _, p := range pairs {
		v, ok := param(q, p.name)
		if !ok {
			continue
		}
		h, w, err := rangePair(v, p.name, p.lo, p.hi)
		if err != nil {
			return PoolState{}, err
		}
		*p.h, *p.w = h, w
		changed = true
	}
	for _, b := range []struct {
		name string
		dst  *bool
		inv  bool
	}{{"ceil_mode", &s.CeilMode, false}, {"count_include_pad", &s.ExcludePad, true}} {
		v, ok := param(q, b.name)
		if !ok {
			continue
		}
		on, err := ParseBool(v)
		if err != nil {
			return PoolState{}, errorf(b.name, "bool", b.name, clip(v, 20))
		}
		*b.dst = on != b.inv
		changed = true
	}
	if v, ok := param(q, "x"); ok {
		x, err := ParseValues(v, "x", s.InH*s.InW)
		if err != nil {
			return PoolState{}, err
		}
		s.X, s.XSet, changed = x, true, true
	}
	if changed {
		s.Preset = ""
	}
	if len(s.X) != s.InH*s.InW {
		s.X, s.XSet = FillPoolX(s.InH, s.InW), false
	}
	s.Step = 1
	if v, ok := param(q, "step"); ok {
		n, err := rangeInt(v, "step", 1, MaxStep)
		if err != nil {
			return PoolState{}, err
		}
		s.Step = n
	}
	return s, nil
}

// Spec is the engine's pooling of the state.
func (s *PoolState) Spec() conv.PoolSpec {
	return conv.PoolSpec{Kernel: [2]int{s.KH, s.KW}, Stride: [2]int{s.SH, s.SW}, Padding: [2]int{s.PH, s.PW},
		Dilation: [2]int{s.DH, s.DW}, CeilMode: s.CeilMode, ExcludePad: s.ExcludePad}
}

// Resolve checks the state (the engine's rules: padding at most half the
// kernel, no dilation for an average, a window that fits) and the
// visualizer's output bound.
func (s *PoolState) Resolve() (*conv.Pool, error) {
	var p *conv.Pool
	var err error
	if s.Op == OpAvgPool {
		p, err = s.Spec().ResolveAvg(1, s.InH, s.InW)
	} else {
		p, err = s.Spec().Resolve(1, s.InH, s.InW)
	}
	if err != nil {
		return nil, err
	}
	if p.OutH > MaxOutput || p.OutW > MaxOutput {
		return nil, errorf("", "output_big", p.OutH, p.OutW, MaxOutput)
	}
	return p, nil
}

// Query is the state as a URL query (the only writer of /conv/pool URLs):
// a preset nobody changed is named; otherwise every setting that is not
// PyTorch's default, and x when it is not the default fill.
func (s *PoolState) Query() url.Values {
	q := url.Values{}
	if s.Step > 1 {
		q.Set("step", strconv.Itoa(s.Step))
	}
	if s.Preset != "" {
		q.Set("preset", s.Preset)
		return q
	}
	q.Set("op", string(s.Op))
	q.Set("input", pairText(s.InH, s.InW))
	q.Set("kernel", pairText(s.KH, s.KW))
	if s.SH != 0 || s.SW != 0 {
		q.Set("stride", pairText(s.SH, s.SW))
	}
	if s.PH != 0 || s.PW != 0 {
		q.Set("padding", pairText(s.PH, s.PW))
	}
	if (s.DH != 0 && s.DH != 1) || (s.DW != 0 && s.DW != 1) {
		q.Set("dilation", pairText(s.DH, s.DW))
	}
	if s.CeilMode {
		q.Set("ceil_mode", "1")
	}
	if s.ExcludePad {
		q.Set("count_include_pad", "0")
	}
	if s.XSet {
		parts := make([]string, len(s.X))
		for i, v := range s.X {
			parts[i] = fmtURLNum(v)
		}
		q.Set("x", strings.Join(parts, ","))
	}
	return q
}

// URL is the pooling visualizer's URL of the state.
func (s *PoolState) URL() string { return "/conv/pool?" + s.Query().Encode() }

// StepURL is the URL of the same state at another step.
func (s *PoolState) StepURL(step int) string {
	c := *s
	c.Step = step
	return c.URL()
}
