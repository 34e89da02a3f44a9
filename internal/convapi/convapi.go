// Package convapi is POST /api/conv without HTTP: the request and response
// types, the bounds of one request, the JSON tensor scanner, and Compute,
// which decodes a body, checks it, runs the engine (forward, and backward
// when "grad_output" is given) and builds the answer. internal/server's
// handler only reads the body and writes the answer; tests use Compute
// directly.
//
// Every refusal is an *apperr.Error (a *conv.Error from the engine is
// turned into one by the HTTP layer): Invalid (400) for malformed JSON or a
// wrong type, Unprocessable (422) for a configuration over the bounds or
// against PyTorch's rules. Messages are catalogue entries ("err.conv_*",
// "err.tensor_*", "conv.engine.*"), so they come out in the reader's
// language.
package convapi

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/jsonreq"
)

// Bounds of one request (documented in README.md). They keep a request's
// cost small: at most a few milliseconds of arithmetic and an answer of a
// few megabytes. Backward ("grad_output") has the same bounds.
const (
	MaxSide      = 64        // input height and width
	MaxChannels  = 16        // input and output channels
	MaxKernel    = 15        // kernel height and width
	MaxParam     = 64        // stride, dilation, |padding|, output_padding
	MaxOutSide   = 256       // output height and width
	MaxMACs      = 4_000_000 // multiply-adds
	MaxTraceTaps = 20_000    // steps × taps per step when "trace": true
	MaxGridCells = 40_000    // cells of the padded grid when "trace": true
	// MaxBackwardTraceTaps bounds the products of the backward traces
	// ("trace" with "grad_output": dW, dX and db steps together).
	MaxBackwardTraceTaps = 60_000
)

// Request is the body of POST /api/conv. The parameters that take several
// JSON types are kept raw and parsed with their name, so an error can say
// which one is wrong.
type Request struct {
	Input         json.RawMessage `json:"input"`
	Weight        json.RawMessage `json:"weight"`
	Bias          json.RawMessage `json:"bias"`
	Stride        json.RawMessage `json:"stride"`
	Padding       json.RawMessage `json:"padding"`
	Dilation      json.RawMessage `json:"dilation"`
	Groups        json.RawMessage `json:"groups"`
	PaddingMode   *string         `json:"padding_mode"`
	Transposed    *bool           `json:"transposed"`
	OutputPadding json.RawMessage `json:"output_padding"`
	Trace         *bool           `json:"trace"`
	// GradOutput is dL/dy, shaped like the output (Cout×Hout×Wout): with
	// it the answer has grad_input, grad_weight and grad_bias.
	GradOutput json.RawMessage `json:"grad_output"`
}

// Response is the answer. Steps, Grid and Geometry only with "trace";
// the gradients only with "grad_output" (grad_bias only with a bias).
type Response struct {
	Output     [][][]float32   `json:"output"`
	Shape      [3]int          `json:"shape"`
	Steps      []conv.Step     `json:"steps,omitempty"`
	Grid       [][]conv.Cell   `json:"grid,omitempty"`
	Geometry   *Geometry       `json:"geometry,omitempty"`
	GradInput  [][][]float32   `json:"grad_input,omitempty"`
	GradWeight [][][][]float32 `json:"grad_weight,omitempty"`
	GradBias   []float32       `json:"grad_bias,omitempty"`
	// The backward traces (issue 14), with "trace" and "grad_output":
	// one step per weight (conv.TraceWeightGrad), per input cell
	// (conv.TraceInputGrad, whose parts are steps of GradInputGeometry, the
	// convolution of dY that gives dX, over GradInputGrid) and per bias
	// (conv.TraceBiasGrad). Their sums are grad_weight, grad_input and
	// grad_bias.
	GradWeightSteps   []conv.WeightGradStep `json:"grad_weight_steps,omitempty"`
	GradInputSteps    []conv.InputGradStep  `json:"grad_input_steps,omitempty"`
	GradBiasSteps     []conv.BiasGradStep   `json:"grad_bias_steps,omitempty"`
	GradInputGeometry *Geometry             `json:"grad_input_geometry,omitempty"`
	GradInputGrid     [][]conv.Cell         `json:"grad_input_grid,omitempty"`
}

// BackwardTraceTaps is the number of products the backward traces of g
// list (for bounding a request before any work).
func BackwardTraceTaps(g *conv.Geometry) int {
	d := g.InputGradGeometry()
	dx := d.StepCount() * d.InChannels / d.Groups * d.KernelSize[0] * d.KernelSize[1]
	return g.WeightLen()*g.OutH*g.OutW + dx + g.OutLen(1)
}

// Geometry is a resolved conv.Geometry for the pages' scripts.
type Geometry struct {
	InChannels    int    `json:"in_channels"`
	OutChannels   int    `json:"out_channels"`
	InH           int    `json:"in_h"`
	InW           int    `json:"in_w"`
	OutH          int    `json:"out_h"`
	OutW          int    `json:"out_w"`
	PaddedH       int    `json:"padded_h"`
	PaddedW       int    `json:"padded_w"`
	PadTop        int    `json:"pad_top"`
	PadBottom     int    `json:"pad_bottom"`
	PadLeft       int    `json:"pad_left"`
	PadRight      int    `json:"pad_right"`
	KernelSize    [2]int `json:"kernel_size"`
	Stride        [2]int `json:"stride"`
	Dilation      [2]int `json:"dilation"`
	Padding       [2]int `json:"padding"`
	Groups        int    `json:"groups"`
	Transposed    bool   `json:"transposed"`
	OutputPadding [2]int `json:"output_padding"`
	PaddingMode   string `json:"padding_mode"`
	Bias          bool   `json:"bias"`
	MACs          int    `json:"macs"`
	Params        int    `json:"params"`
}

// NewGeometry describes g for JSON.
func NewGeometry(g *conv.Geometry) *Geometry {
	return &Geometry{
		InChannels: g.InChannels, OutChannels: g.OutChannels,
		InH: g.InH, InW: g.InW, OutH: g.OutH, OutW: g.OutW,
		PaddedH: g.PaddedH(), PaddedW: g.PaddedW(),
		PadTop: g.PadTop, PadBottom: g.PadBottom, PadLeft: g.PadLeft, PadRight: g.PadRight,
		KernelSize: g.KernelSize, Stride: g.Stride, Dilation: g.Dilation, Padding: g.Padding,
		Groups: g.Groups, Transposed: g.Transposed, OutputPadding: g.OutputPadding,
		PaddingMode: string(g.PaddingMode), Bias: g.Bias,
		MACs: g.MACs(), Params: g.ParamCount(),
	}
}

func bad(code string, args ...apperr.Arg) *apperr.Error {
	return apperr.New(apperr.Invalid, code, args...)
}

func refuse(code string, args ...apperr.Arg) *apperr.Error {
	return apperr.New(apperr.Unprocessable, code, args...)
}

var a = apperr.A

// Compute decodes body (one JSON object, see Request), checks it and runs
// it. Every failure is an *apperr.Error or the engine's *conv.Error.
func Compute(body []byte) (*Response, error) {
	var req Request
	if err := jsonreq.Decode(body, &req); err != nil {
		return nil, err
	}
	return Run(&req)
}

// Run checks a decoded request and runs it.
func Run(req *Request) (*Response, error) {
	if req.Input == nil {
		return nil, bad("conv_missing_input")
	}
	if req.Weight == nil {
		return nil, bad("conv_missing_weight")
	}
	transposed := req.Transposed != nil && *req.Transposed
	xShape, x, err := parseTensor(req.Input, "input", 3, "err.layout.input")
	if err != nil {
		return nil, err
	}
	wLayout := "err.layout.weight"
	if transposed {
		wLayout = "err.layout.weight_transposed"
	}
	wShape, w, err := parseTensor(req.Weight, "weight", 4, wLayout)
	if err != nil {
		return nil, err
	}
	var b []float32
	if req.Bias != nil {
		if _, b, err = parseTensor(req.Bias, "bias", 1, "err.layout.bias"); err != nil {
			return nil, err
		}
	}

	spec, err := specOf(req, xShape, wShape, len(b))
	if err != nil {
		return nil, err
	}
	g, err := spec.Resolve(xShape[1], xShape[2])
	if err != nil {
		return nil, err // *conv.Error: the engine's reason, by its code
	}
	if g.OutH > MaxOutSide || g.OutW > MaxOutSide {
		return nil, refuse("conv_output_big", a("h", g.OutH), a("w", g.OutW), a("max", MaxOutSide))
	}
	if m := g.MACs(); m > MaxMACs {
		return nil, refuse("conv_too_much_work", a("macs", m), a("max", MaxMACs))
	}
	trace := req.Trace != nil && *req.Trace
	if trace {
		tapsPerStep := g.InChannels / g.Groups * g.KernelSize[0] * g.KernelSize[1]
		if taps := g.StepCount() * tapsPerStep; taps > MaxTraceTaps {
			return nil, refuse("conv_trace_taps", a("steps", g.StepCount()), a("taps", tapsPerStep), a("total", taps), a("max", MaxTraceTaps))
		}
		if cells := g.PaddedH() * g.PaddedW(); cells > MaxGridCells {
			return nil, refuse("conv_trace_grid", a("h", g.PaddedH()), a("w", g.PaddedW()), a("cells", cells), a("max", MaxGridCells))
		}
	}
	var dy []float32
	if req.GradOutput != nil {
		want := [3]int{g.OutChannels, g.OutH, g.OutW}
		shape, v, err := parseTensor(req.GradOutput, "grad_output", 3, "err.layout.grad_output")
		if err != nil {
			return nil, err
		}
		if [3]int(shape) != want {
			return nil, refuse("conv_grad_output_shape", a("want", shapeText(want[:])), a("got", shapeText(shape))).WithParam("grad_output")
		}
		dy = v
		if trace {
			if taps := BackwardTraceTaps(g); taps > MaxBackwardTraceTaps {
				return nil, refuse("conv_backward_trace_taps", a("total", taps), a("max", MaxBackwardTraceTaps))
			}
			d := g.InputGradGeometry()
			if cells := d.PaddedH() * d.PaddedW(); cells > MaxGridCells {
				return nil, refuse("conv_trace_grid", a("h", d.PaddedH()), a("w", d.PaddedW()), a("cells", cells), a("max", MaxGridCells))
			}
		}
	}

	y := make([]float32, g.OutLen(1))
	c := conv.New(g)
	c.Forward(y, x, w, b, 1)
	if !allFinite(y) {
		return nil, refuse("conv_overflow")
	}
	resp := &Response{Output: reshape3(y, g.OutChannels, g.OutH, g.OutW), Shape: [3]int{g.OutChannels, g.OutH, g.OutW}}
	if trace {
		steps := conv.Trace(g, x, w, b)
		if !stepsFinite(steps) {
			return nil, refuse("conv_trace_overflow")
		}
		resp.Steps = steps
		resp.Grid = g.Grid()
		resp.Geometry = NewGeometry(g)
	}
	if dy != nil {
		if err := backward(resp, c, dy, x, w, b != nil); err != nil {
			return nil, err
		}
		if trace && !backwardTrace(resp, g, dy, x, w) {
			return nil, refuse("conv_trace_overflow")
		}
	}
	return resp, nil
}

// backward fills the gradients of the loss whose gradient at the output
// is dy, with the engine's fast path (conv.(*Conv).Backward, held to
// PyTorch's autograd by conv's golden tests and by this package's parity
// test). The backward traces (issue 14) hook in here: with "trace", add
// the steps conv makes for dW and dX to resp.
func backward(resp *Response, c *conv.Conv, dy, x, w []float32, bias bool) error {
	g := c.G
	dx := make([]float32, g.XLen(1))
	dw := make([]float32, g.WeightLen())
	var db []float32
	if bias {
		db = make([]float32, g.OutChannels)
	}
	c.Backward(dx, dw, db, dy, x, w, 1)
	if !allFinite(dx) || !allFinite(dw) || !allFinite(db) {
		return refuse("conv_grad_overflow")
	}
	ws := g.WeightShape()
	resp.GradInput = reshape3(dx, g.InChannels, g.InH, g.InW)
	resp.GradWeight = make([][][][]float32, ws[0])
	per := ws[1] * ws[2] * ws[3]
	for i := range resp.GradWeight {
		resp.GradWeight[i] = reshape3(dw[i*per:(i+1)*per], ws[1], ws[2], ws[3])
	}
	resp.GradBias = db
	return nil
}

// backwardTrace adds the step-by-step backward pass (bounded before by
// BackwardTraceTaps): conv's traces, whose sums are the gradients. It
// reports false when a product does not fit float32 (JSON has no Inf).
func backwardTrace(resp *Response, g *conv.Geometry, dy, x, w []float32) bool {
	d := g.InputGradGeometry()
	resp.GradWeightSteps = conv.TraceWeightGrad(g, x, dy, 1)
	resp.GradInputSteps = conv.TraceInputGrad(g, dy, w)
	if g.Bias {
		resp.GradBiasSteps = conv.TraceBiasGrad(g, dy, 1)
	}
	resp.GradInputGeometry = NewGeometry(d)
	resp.GradInputGrid = d.Grid()
	for _, s := range resp.GradWeightSteps {
		if !isFinite32(s.Sum) {
			return false
		}
		for _, t := range s.Taps {
			if !isFinite32(t.Product) || !isFinite32(t.Input) || !isFinite32(t.Grad) {
				return false
			}
		}
	}
	for _, s := range resp.GradInputSteps {
		if !isFinite32(s.Sum) || !stepsFinite(s.Parts) {
			return false
		}
	}
	return true
}

func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, "×")
}

// specOf derives the channels and kernel size from the shapes as PyTorch
// does and checks the request's bounds.
func specOf(req *Request, xShape, wShape []int, nBias int) (conv.Spec, error) {
	var s conv.Spec
	cin, h, w := xShape[0], xShape[1], xShape[2]
	if cin > MaxChannels {
		return s, refuse("conv_input_channels", a("got", cin), a("max", MaxChannels))
	}
	if h > MaxSide || w > MaxSide {
		return s, refuse("conv_input_size", a("h", h), a("w", w), a("max", MaxSide))
	}
	if wShape[2] > MaxKernel || wShape[3] > MaxKernel {
		return s, refuse("conv_kernel_size", a("h", wShape[2]), a("w", wShape[3]), a("max", MaxKernel))
	}
	groups := 1
	if req.Groups != nil {
		var ok bool
		if groups, ok = parseInt(req.Groups); !ok {
			return s, bad("conv_groups_int", a("got", apperr.Truncate(string(req.Groups), 30))).WithParam("groups")
		}
		if groups < 1 {
			return s, refuse("conv_groups_min", a("got", groups)).WithParam("groups")
		}
		if groups > MaxChannels {
			return s, refuse("conv_groups_max", a("got", groups), a("max", MaxChannels)).WithParam("groups")
		}
	}
	s.Groups = groups
	s.Transposed = req.Transposed != nil && *req.Transposed
	s.KernelSize = [2]int{wShape[2], wShape[3]}
	shape := shapeText(wShape)
	if s.Transposed {
		s.InChannels = wShape[0]
		s.OutChannels = wShape[1] * groups
		if cin != wShape[0] {
			return s, refuse("conv_channels_transposed", a("cin", cin), a("shape", shape), a("want", wShape[0]))
		}
	} else {
		s.OutChannels = wShape[0]
		s.InChannels = wShape[1] * groups
		if cin != s.InChannels {
			return s, refuse("conv_channels", a("cin", cin), a("shape", shape), a("groups", groups), a("want", s.InChannels))
		}
	}
	if s.OutChannels > MaxChannels {
		return s, refuse("conv_out_channels", a("got", s.OutChannels), a("max", MaxChannels))
	}
	if nBias > 0 {
		if nBias != s.OutChannels {
			return s, refuse("conv_bias_count", a("got", nBias), a("want", s.OutChannels)).WithParam("bias")
		}
		s.Bias = true
	}

	check := func(name string, raw json.RawMessage, def, lo int) ([2]int, error) {
		p, err := parsePair(raw, name, def)
		if err != nil {
			return p, err
		}
		for _, v := range p {
			if v < lo {
				return p, refuse("conv_param_min", a("field", name), a("h", p[0]), a("w", p[1])).WithParam(name)
			}
			if v > MaxParam || v < -MaxParam {
				return p, refuse("conv_param_max", a("field", name), a("h", p[0]), a("w", p[1]), a("max", MaxParam)).WithParam(name)
			}
		}
		return p, nil
	}
	var err error
	if s.Stride, err = check("stride", req.Stride, 1, 1); err != nil {
		return s, err
	}
	if s.Dilation, err = check("dilation", req.Dilation, 1, 1); err != nil {
		return s, err
	}
	// Negative output_padding and padding are left to Resolve, which words
	// PyTorch's rules.
	if s.OutputPadding, err = check("output_padding", req.OutputPadding, 0, math.MinInt); err != nil {
		return s, err
	}
	var word string
	if req.Padding != nil && json.Unmarshal(req.Padding, &word) == nil {
		s.PaddingStr = strings.ToLower(word)
		if s.PaddingStr != "valid" && s.PaddingStr != "same" {
			return s, bad("conv_padding_word", apperr.Q("got", word)).WithParam("padding")
		}
	} else if s.Padding, err = check("padding", req.Padding, 0, math.MinInt); err != nil {
		return s, err
	}
	if req.PaddingMode != nil {
		s.PaddingMode = conv.PaddingMode(strings.ToLower(*req.PaddingMode))
	}
	return s, nil
}

// parseInt reads a whole number (JSON 3 or 3.0).
func parseInt(raw json.RawMessage) (int, bool) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return 0, false
	}
	return int(f), true
}

// parsePair reads PyTorch's "int or (int, int)"; def when absent.
func parsePair(raw json.RawMessage, name string, def int) ([2]int, error) {
	if raw == nil {
		return [2]int{def, def}, nil
	}
	if n, ok := parseInt(raw); ok {
		return [2]int{n, n}, nil
	}
	var p []json.RawMessage
	if err := json.Unmarshal(raw, &p); err == nil && len(p) == 2 {
		h, ok1 := parseInt(p[0])
		w, ok2 := parseInt(p[1])
		if ok1 && ok2 {
			return [2]int{h, w}, nil
		}
	}
	return [2]int{}, bad("conv_pair", a("field", name), a("got", apperr.Truncate(string(raw), 30))).WithParam(name)
}

func isFinite32(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

func allFinite(s []float32) bool {
	for _, v := range s {
		if !isFinite32(v) {
			return false
		}
	}
	return true
}

func stepsFinite(steps []conv.Step) bool {
	for i := range steps {
		s := &steps[i]
		if !isFinite32(s.Sum) || !isFinite32(s.Bias) || !allFinite(s.ChannelSums) {
			return false
		}
		for _, t := range s.Taps {
			if !isFinite32(t.Product) || !isFinite32(t.Input) || !isFinite32(t.Weight) {
				return false
			}
		}
	}
	return true
}

// reshape3 views a C×H×W slice as nested arrays for JSON.
func reshape3(y []float32, c, h, w int) [][][]float32 {
	out := make([][][]float32, c)
	for i := range out {
		out[i] = make([][]float32, h)
		for j := range out[i] {
			off := (i*h + j) * w
			out[i][j] = y[off : off+w : off+w]
		}
	}
	return out
}
