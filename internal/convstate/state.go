// Package convstate is the one owner of the convolution visualizer's
// state (/conv): the State type, reading it from a URL query (Parse) and
// writing it back (State.Query, URL: the only writer of /conv URLs), the
// presets, the default fill, the one validator with the one set of bounds
// (State.Validate, State.Resolve), edits (State.Apply), and the conversion
// to the engine's conv.Spec.
//
// The page (internal/server), the classroom follow-along (POST
// /api/follow), the quiz and the animations' "open in the visualizer"
// links all go through it; the browser's script holds a State as JSON but
// never validates it or writes its URL.
//
// Operations. A state is one operation of the visualizer, named by Op:
// today a convolution (OpConv) or a transposed convolution
// (OpConvTranspose, the Transposed field). A new operation (pooling, a
// backward pass) adds its name to Op, its parameters to State (with their
// query names in Parse/Query and their bounds in Validate), and its
// engine call in State.Resolve's caller, internal/convview (see
// docs/ARCHITECTURE.md, "Adding an operation to the visualizer").
package convstate

import (
	"errors"
	"math"
	"regexp"
	"strconv"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
)

//go:generate go run ../../scripts/gen_conv_digit.go -o digit.go

// Bounds of the visualizer: the one set, used by Parse, Validate and
// Resolve (and sent to no script: the server refuses what is out of
// bounds, in the reader's language). Every number a student can step
// through is traced (one step per output cell, one tap per
// multiplication), so the page bounds the work before it asks the engine.
const (
	MaxInput    = 32     // input height/width
	MaxKernel   = 7      // kernel height/width
	MaxStride   = 8      // stride
	MaxDilation = 4      // dilation
	MaxPadding  = 8      // padding per side
	MaxChannels = 4      // input channels
	MaxFilters  = 4      // filters (output channels)
	MaxOutput   = 64     // output height/width (transposed convolutions grow)
	MaxTaps     = 20_000 // multiplications traced for one page
	MaxAbs      = 1000   // |value| of an input, weight or bias
	// MaxOutputPadding bounds output_padding (PyTorch wants it below the
	// stride or the dilation, which the engine checks).
	MaxOutputPadding = MaxKernel
	// MaxStep bounds the 1-based step before the trace is known (the
	// page clamps it to the trace).
	MaxStep = MaxFilters * MaxOutput * MaxOutput
)

// Op names an operation of the visualizer.
type Op string

const (
	OpConv          Op = "conv"           // nn.Conv2d
	OpConvTranspose Op = "conv_transpose" // nn.ConvTranspose2d
)

// Modes are the padding modes, in the order the page lists them.
var Modes = []string{"zeros", "reflect", "replicate", "circular"}

// State is the whole visualizer state as a URL carries it: the
// configuration, the values and the step. Its JSON form is what the
// page's script holds (window.convlabVisualizer.getState()) and what the
// follow-along publishes.
type State struct {
	Preset string `json:"preset"` // "" once the user changed anything

	InH        int    `json:"in_h"`
	InW        int    `json:"in_w"`
	KH         int    `json:"kh"`
	KW         int    `json:"kw"`
	SH         int    `json:"sh"`
	SW         int    `json:"sw"`
	DH         int    `json:"dh"`
	DW         int    `json:"dw"`
	PadH       int    `json:"pad_h"`
	PadW       int    `json:"pad_w"`
	PadStr     string `json:"pad_str"` // "" (numbers), "same" or "valid"
	Mode       string `json:"mode"`
	Channels   int    `json:"channels"`
	Filters    int    `json:"filters"`
	Bias       bool   `json:"bias"`
	Transposed bool   `json:"transposed"`
	OPH        int    `json:"oph"`
	OPW        int    `json:"opw"`

	Step int `json:"step"` // 1-based

	X []float32 `json:"x"` // Channels × InH × InW
	W []float32 `json:"w"` // the weight in PyTorch's layout (see WeightIndex)
	B []float32 `json:"b"` // Filters (all zero and unused without bias)

	// Whether the values differ from the default fill (so the URL must
	// carry them): they came from a preset, from x=, w=, b= or an edit.
	XSet bool `json:"x_set"`
	WSet bool `json:"w_set"`
	BSet bool `json:"b_set"`
}

// Op is the state's operation.
func (s *State) Op() Op {
	if s.Transposed {
		return OpConvTranspose
	}
	return OpConv
}

// Default is the configuration of a /conv URL that names nothing but a
// value: a 5×5 input under a 3×3 kernel, stride 1, no padding. Its values
// are empty; Parse and Fill give them.
func Default() State {
	return State{InH: 5, InW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
		Mode: "zeros", Channels: 1, Filters: 1, Step: 1}
}

// errorf is a state the visualizer cannot use: an *apperr.Error of kind
// Invalid with the code "state_<key>", the message "conv.err.<key>" of the
// catalogues and param, the query parameter (or state field) it is about.
// The messages keep their positional placeholders, {0}, {1}, ...: the
// argument's name is its position.
func errorf(param, key string, args ...any) error {
	named := make([]apperr.Arg, len(args))
	for i, a := range args {
		named[i] = apperr.A(strconv.Itoa(i), a)
	}
	return apperr.NewKeyed(apperr.Invalid, "state_"+key, "conv.err."+key, named...).WithParam(param)
}

// ErrOverflow is an output that does not fit float32.
var ErrOverflow error = apperr.NewKeyed(apperr.Unprocessable, "state_overflow", "conv.err.overflow")

// WeightIndex is the index of weight (filter f, input channel c, ky, kx)
// in PyTorch's layout: Conv2d F×C×KH×KW, ConvTranspose2d C×F×KH×KW.
func (s *State) WeightIndex(f, c, ky, kx int) int {
	if s.Transposed {
		return ((c*s.Filters+f)*s.KH+ky)*s.KW + kx
	}
	return ((f*s.Channels+c)*s.KH+ky)*s.KW + kx
}

// XIndex is the index of input (channel c, row y, column x) in X.
func (s *State) XIndex(c, y, x int) int { return (c*s.InH+y)*s.InW + x }

// XLen and WLen are the lengths X and W must have.
func (s *State) XLen() int { return s.Channels * s.InH * s.InW }
func (s *State) WLen() int { return s.Filters * s.Channels * s.KH * s.KW }

// The default fill: small whole numbers that are easy to multiply in your
// head. Only the server fills; the page's script never does.
func defaultX(c, y, x int) float32 { return float32((y*3 + x*5 + c*7 + (y*x)%4) % 5) }

func defaultW(f, c, ky, kx, kh, kw int) float32 {
	var on bool
	switch (f + c) % 3 {
	case 0: // an X: both diagonals (the lesson's filter for 3×3)
		on = ky*(kw-1) == kx*(kh-1) || ky*(kw-1) == (kw-1-kx)*(kh-1)
	case 1: // a plus
		on = ky == kh/2 || kx == kw/2
	default: // a frame
		on = ky == 0 || kx == 0 || ky == kh-1 || kx == kw-1
	}
	if on {
		return 1
	}
	return 0
}

func defaultB(f int) float32 {
	if f%2 == 0 {
		return 1
	}
	return -1
}

// FillX, FillW and FillB give the values the default fill (and mark them
// as not set).
func (s *State) FillX() {
	s.X = make([]float32, s.XLen())
	for c := range s.Channels {
		for y := range s.InH {
			for x := range s.InW {
				s.X[s.XIndex(c, y, x)] = defaultX(c, y, x)
			}
		}
	}
	s.XSet = false
}

func (s *State) FillW() {
	s.W = make([]float32, s.WLen())
	for f := range s.Filters {
		for c := range s.Channels {
			for ky := range s.KH {
				for kx := range s.KW {
					s.W[s.WeightIndex(f, c, ky, kx)] = defaultW(f, c, ky, kx, s.KH, s.KW)
				}
			}
		}
	}
	s.WSet = false
}

func (s *State) FillB() {
	s.B = make([]float32, s.Filters)
	for f := range s.B {
		s.B[f] = defaultB(f)
	}
	s.BSet = false
}

// Spec is the state as the engine's Spec.
func (s *State) Spec() conv.Spec {
	return conv.Spec{
		InChannels: s.Channels, OutChannels: s.Filters,
		KernelSize: [2]int{s.KH, s.KW}, Stride: [2]int{s.SH, s.SW},
		Padding: [2]int{s.PadH, s.PadW}, PaddingStr: s.PadStr,
		Dilation: [2]int{s.DH, s.DW}, Bias: s.Bias,
		PaddingMode: conv.PaddingMode(s.Mode), Transposed: s.Transposed,
		OutputPadding: [2]int{s.OPH, s.OPW},
	}
}

var presetName = regexp.MustCompile(`^[a-z0-9-]{0,40}$`)

// Validate is the one check of a state against the visualizer's bounds:
// every size in range, a known padding mode and padding word, a
// preset-like name, values that match the shapes, finite and at most
// MaxAbs, and a step in [1, MaxStep]. The engine's own rules (a kernel
// larger than the padded input, ...) are Resolve's.
func (s *State) Validate() error {
	if err := s.validateSizes(); err != nil {
		return err
	}
	return s.validateRest()
}

// validateSizes checks the configuration's numbers against the bounds: what
// must hold before anything is allocated from them (Apply refits the value
// arrays from these sizes, so an unchecked in_w of 22222222220 would ask
// for gigabytes).
func (s *State) validateSizes() error {
	ints := []struct {
		name   string
		v      []int
		lo, hi int
	}{
		{"input", []int{s.InH, s.InW}, 1, MaxInput},
		{"kernel", []int{s.KH, s.KW}, 1, MaxKernel},
		{"stride", []int{s.SH, s.SW}, 1, MaxStride},
		{"dilation", []int{s.DH, s.DW}, 1, MaxDilation},
		{"padding", []int{s.PadH, s.PadW}, 0, MaxPadding},
		{"output_padding", []int{s.OPH, s.OPW}, 0, MaxOutputPadding},
		{"channels", []int{s.Channels}, 1, MaxChannels},
		{"filters", []int{s.Filters}, 1, MaxFilters},
		{"step", []int{s.Step}, 1, MaxStep},
	}
	for _, it := range ints {
		for _, v := range it.v {
			if v < it.lo || v > it.hi {
				return errorf(it.name, "range", it.name, v, it.lo, it.hi)
			}
		}
	}
	return nil
}

// validateRest is the part of Validate after the sizes.
func (s *State) validateRest() error {
	if !validMode(s.Mode) {
		return errorf("mode", "mode", clip(s.Mode, 20))
	}
	switch s.PadStr {
	case "", "same", "valid":
	default:
		return errorf("padding", "pair", "padding", clip(s.PadStr, 20))
	}
	if !presetName.MatchString(s.Preset) {
		return errorf("preset", "preset", clip(s.Preset, 40), joinNames())
	}
	for _, it := range []struct {
		name string
		v    []float32
		n    int
	}{{"x", s.X, s.XLen()}, {"w", s.W, s.WLen()}, {"b", s.B, s.Filters}} {
		if len(it.v) != it.n {
			return errorf(it.name, "count", it.name, it.n, len(it.v))
		}
		for _, v := range it.v {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return errorf(it.name, "value", it.name, fmtURLNum(v))
			}
			if math.Abs(float64(v)) > MaxAbs {
				return errorf(it.name, "big", it.name, fmtURLNum(v), MaxAbs)
			}
		}
	}
	return nil
}

func validMode(m string) bool {
	for _, v := range Modes {
		if m == v {
			return true
		}
	}
	return false
}

// Resolve checks that the visualizer can run the state: Validate, the
// engine's shape rules (conv.Spec.Resolve: a *conv.Error in English, with
// its format and arguments for translation), and the page's budget (an
// output of at most MaxOutput per side, at most MaxTaps traced
// multiplications: an *apperr.Error). It returns the resolved geometry.
func (s *State) Resolve() (*conv.Geometry, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	g, err := s.Spec().Resolve(s.InH, s.InW)
	if err != nil {
		return nil, err
	}
	if g.OutH > MaxOutput || g.OutW > MaxOutput {
		return nil, errorf("", "output_big", g.OutH, g.OutW, MaxOutput)
	}
	if taps := TraceTaps(g); taps > MaxTaps {
		return nil, errorf("", "too_much", taps, MaxTaps)
	}
	return g, nil
}

// TraceTaps is the number of multiplications a full trace of g lists.
func TraceTaps(g *conv.Geometry) int {
	return g.StepCount() * g.InChannels / g.Groups * g.KernelSize[0] * g.KernelSize[1]
}

// IsEngine reports whether err is the engine's refusal (a *conv.Error)
// rather than one of the visualizer's bounds.
func IsEngine(err error) bool {
	var ce *conv.Error
	return errors.As(err, &ce)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
