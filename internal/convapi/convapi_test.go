package convapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convgolden"
)

// request builds the /api/conv body for image i of a golden configuration.
func request(c *convgolden.Conv, i int) map[string]any {
	s := c.Spec
	g, err := s.Spec().Resolve(c.InH, c.InW)
	if err != nil {
		panic(err)
	}
	xLen, yLen := g.XLen(1), g.OutLen(1)
	ws := g.WeightShape()
	req := map[string]any{
		"input":          nest(c.X[i*xLen:(i+1)*xLen], g.InChannels, c.InH, c.InW),
		"weight":         nest(c.W, ws[:]...),
		"stride":         s.Stride,
		"dilation":       s.Dilation,
		"groups":         max(s.Groups, 1),
		"padding_mode":   s.PaddingMode,
		"transposed":     s.Transposed,
		"output_padding": s.OutputPadding,
		"grad_output":    nest(c.GY[i*yLen:(i+1)*yLen], g.OutChannels, g.OutH, g.OutW),
	}
	if s.PaddingMode == "" {
		delete(req, "padding_mode")
	}
	if s.PaddingStr != "" {
		req["padding"] = s.PaddingStr
	} else {
		req["padding"] = s.Padding
	}
	if s.Bias {
		req["bias"] = c.B
	}
	return req
}

// nest shapes flat data as nested slices for JSON.
func nest(data []float32, shape ...int) any {
	if len(shape) == 1 {
		return data[:shape[0]]
	}
	step := len(data) / shape[0]
	out := make([]any, shape[0])
	for i := range out {
		out[i] = nest(data[i*step:(i+1)*step], shape[1:]...)
	}
	return out
}

func flat(v any, out []float32) []float32 {
	switch v := v.(type) {
	case []float32:
		return append(out, v...)
	case [][]float32:
		for _, r := range v {
			out = append(out, r...)
		}
	case [][][]float32:
		for _, r := range v {
			out = flat(r, out)
		}
	case [][][][]float32:
		for _, r := range v {
			out = flat(r, out)
		}
	}
	return out
}

// within checks got against PyTorch's want within 1e-4 of the largest
// magnitude of want (the golden tests' tolerance), and reports the worst.
func within(got, want []float32) (bool, string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("%d values, PyTorch has %d", len(got), len(want))
	}
	scale := 1.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	worst, at := 0.0, -1
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > worst {
			worst, at = d, i
		}
	}
	if worst > 1e-4*scale {
		return false, fmt.Sprintf("worst at %d: got %v, PyTorch %v", at, got[at], want[at])
	}
	return true, ""
}

// TestGradientsMatchTorchAutograd sends PyTorch's golden configurations
// (conv/testdata/golden.json.gz: stride, padding of every mode and
// same/valid, dilation, groups, transposed, output_padding) through
// Compute with their output gradient, and holds output, grad_input,
// grad_weight and grad_bias to torch autograd's. A batch is sent one image
// per request; grad_weight and grad_bias are summed over the batch as
// autograd sums them.
func TestGradientsMatchTorchAutograd(t *testing.T) {
	gf, err := convgolden.Load()
	if err != nil {
		t.Fatal(err)
	}
	checked, skipped := 0, 0
	kinds := map[string]int{}
	for ci := range gf.Conv {
		c := &gf.Conv[ci]
		g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if g.InH > MaxSide || g.InW > MaxSide || g.InChannels > MaxChannels || g.OutChannels > MaxChannels ||
			g.KernelSize[0] > MaxKernel || g.KernelSize[1] > MaxKernel || g.OutH > MaxOutSide || g.OutW > MaxOutSide || g.MACs() > MaxMACs {
			skipped++
			continue
		}
		var gx, gw, gb, y []float32
		failed := false
		for i := range c.N {
			body, err := json.Marshal(request(c, i))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := Compute(body)
			if err != nil {
				t.Errorf("%s (image %d): refused: %v", c.Name, i, err)
				failed = true
				break
			}
			y = flat(resp.Output, y)
			gx = flat(resp.GradInput, gx)
			w := flat(resp.GradWeight, nil)
			if gw == nil {
				gw, gb = w, append([]float32(nil), resp.GradBias...)
			} else {
				for j := range w {
					gw[j] += w[j]
				}
				for j := range resp.GradBias {
					gb[j] += resp.GradBias[j]
				}
			}
			if c.Spec.Bias != (resp.GradBias != nil) {
				t.Errorf("%s: bias %v but grad_bias %v", c.Name, c.Spec.Bias, resp.GradBias)
			}
		}
		if failed {
			continue
		}
		for _, cmp := range []struct {
			what      string
			got, want []float32
		}{{"output", y, c.Y}, {"grad_input", gx, c.GX}, {"grad_weight", gw, c.GW}, {"grad_bias", gb, c.GB}} {
			if ok, why := within(cmp.got, cmp.want); !ok {
				t.Errorf("%s (%+v): %s differs from torch autograd: %s", c.Name, c.Spec, cmp.what, why)
			}
		}
		checked++
		switch {
		case c.Spec.Transposed:
			kinds["transposed"]++
		case c.Spec.PaddingStr != "":
			kinds["padding="+c.Spec.PaddingStr]++
		default:
			kinds["padding_mode="+c.Spec.PaddingMode]++
		}
		if c.Spec.Groups > 1 {
			kinds["groups"]++
		}
		if c.Spec.Dilation != [2]int{1, 1} && c.Spec.Dilation != [2]int{} {
			kinds["dilation"]++
		}
		if c.Spec.Stride != [2]int{1, 1} && c.Spec.Stride != [2]int{} {
			kinds["stride"]++
		}
		if c.Spec.OutputPadding != [2]int{} {
			kinds["output_padding"]++
		}
	}
	t.Logf("%d configurations checked against torch autograd, %d over the API's bounds; %v", checked, skipped, kinds)
	if checked < 200 {
		t.Errorf("only %d configurations within the API's bounds, want at least 200", checked)
	}
	for _, k := range []string{"transposed", "padding=same", "padding=valid", "padding_mode=zeros", "padding_mode=reflect",
		"padding_mode=replicate", "padding_mode=circular", "groups", "dilation", "stride", "output_padding"} {
		if kinds[k] < 3 {
			t.Errorf("only %d configurations with %s", kinds[k], k)
		}
	}
}

const lessonInput = `[[[1,2,3,4,5],[0,1,5,2,1],[1,0,2,1,0],[3,1,0,2,2],[0,4,1,1,3]]]`
const crossFilter = `[[[[1,0,1],[0,1,0],[1,0,1]]]]`

func TestGradOutputShape(t *testing.T) {
	// The lesson's 5×5 input under a 3×3 kernel makes 1×3×3: a 1×2×3 gradient is refused, naming the shape.
	_, err := Compute([]byte(`{"input":` + lessonInput + `,"weight":` + crossFilter + `,"grad_output":[[[1,1,1],[1,1,1]]]}`))
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Unprocessable || e.Code != "conv_grad_output_shape" || e.Param != "grad_output" ||
		!strings.Contains(e.Error(), "1×3×3") || !strings.Contains(e.Error(), "got 1×2×3") {
		t.Fatalf("wrong grad_output shape: %v", err)
	}
	if ko := e.Message("ko"); !strings.Contains(ko, "1×3×3") || !strings.Contains(ko, "출력과 같은 모양") {
		t.Errorf("in Korean: %q", ko)
	}
	// Wrong depth and a string are the scanner's errors, named "grad_output".
	for _, g := range []string{`[[1,1,1]]`, `[[["a",1,1],[1,1,1],[1,1,1]]]`} {
		_, err := Compute([]byte(`{"input":` + lessonInput + `,"weight":` + crossFilter + `,"grad_output":` + g + `}`))
		if e, ok := apperr.As(err); !ok || e.Param != "grad_output" {
			t.Errorf("grad_output %s: %v", g, err)
		}
	}
	// Ones: db = the number of outputs, dW = the sum of the input under each weight.
	resp, err := Compute([]byte(`{"input":` + lessonInput + `,"weight":` + crossFilter + `,"bias":[0.5],"grad_output":[[[1,1,1],[1,1,1],[1,1,1]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GradBias[0] != 9 || resp.GradWeight[0][0][0][0] != 1+2+3+0+1+5+1+0+2 {
		t.Errorf("grad_bias %v, grad_weight[0][0][0][0] %v", resp.GradBias, resp.GradWeight[0][0][0][0])
	}
	// Without grad_output there are no gradients in the answer.
	b, _ := json.Marshal(mustCompute(t, `{"input":`+lessonInput+`,"weight":`+crossFilter+`}`))
	if strings.Contains(string(b), "grad_") {
		t.Errorf("forward-only answer has gradients: %s", b)
	}
}

func mustCompute(t *testing.T, body string) *Response {
	t.Helper()
	r, err := Compute([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRefusals: every refusal is an *apperr.Error (or the engine's, by its
// code) with a kind, a code and a message in both languages.
func TestRefusals(t *testing.T) {
	one := `"input":[[[1,2],[3,4]]],"weight":[[[[1]]]]`
	for _, tc := range []struct {
		name, body string
		kind       apperr.Kind
		code, en   string
	}{
		// Issue 18: a number for padding_mode was told "must be a whole number".
		{"padding_mode number", `{` + one + `,"padding_mode":1}`, apperr.Invalid, "json_type", "padding_mode must be a string, got a number"},
		{"groups fraction", `{` + one + `,"groups":1.5}`, apperr.Invalid, "conv_groups_int", "groups must be a whole number, got 1.5"},
		{"stride word", `{` + one + `,"stride":"big"}`, apperr.Invalid, "conv_pair", "stride must be a whole number or a pair"},
		{"null bias", `{` + one + `,"bias":null}`, apperr.Invalid, "json_null", "bias is null"},
		{"null cell", `{"input":[[[1,null]]],"weight":[[[[1]]]]}`, apperr.Invalid, "json_null", "input[0][0][1] is null"},
		{"unknown", `{` + one + `,"strides":2}`, apperr.Invalid, "json_unknown_field", `unknown field "strides" (known: input, weight, bias,`},
		{"not an object", `[1,2]`, apperr.Invalid, "json_not_object", "the body must be a JSON object, got an array"},
		{"kernel too large", `{"input":[[[1,2],[3,4]]],"weight":[[[[1,1,1],[1,1,1],[1,1,1]]]]}`, apperr.Unprocessable, "kernel_too_large", "kernel 3×3 is larger than the padded input 2×2"},
		{"ragged", `{"input":[[[1,2],[3]]],"weight":[[[[1]]]]}`, apperr.Unprocessable, "tensor_ragged", "input is ragged: input[0][1] has 1 entries"},
		{"trace too long", `{"input":` + mustJSON(nest(make([]float32, 64*64), 1, 64, 64)) + `,"weight":` + crossFilter + `,"trace":true}`,
			apperr.Unprocessable, "conv_trace_taps", "a trace of this convolution has 3844 steps × 9 taps = 34596 taps; at most 20000"},
	} {
		_, err := Compute([]byte(tc.body))
		e, ok := apperr.As(err)
		if !ok {
			t.Errorf("%s: %v is not an apperr", tc.name, err)
			continue
		}
		if e.Kind != tc.kind || e.Code != tc.code || !strings.Contains(e.Error(), tc.en) {
			t.Errorf("%s: kind %v code %q %q; want %v %q containing %q", tc.name, e.Kind, e.Code, e.Error(), tc.kind, tc.code, tc.en)
		}
		if ko := e.Message("ko"); strings.Contains(ko, "{") || ko == e.Error() {
			t.Errorf("%s: Korean message %q", tc.name, ko)
		}
		var ce *conv.Error
		if errors.As(err, &ce) != (tc.code == "kernel_too_large") {
			t.Errorf("%s: engine error %v", tc.name, ce)
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestBackwardTracesSumToGradients: with "trace" and "grad_output" the
// answer holds conv's backward traces, and every step's sum is the
// gradient the API returns (itself held to torch autograd above), for
// every golden configuration within the trace bounds.
func TestBackwardTracesSumToGradients(t *testing.T) {
	gf, err := convgolden.Load()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for ci := range gf.Conv {
		c := &gf.Conv[ci]
		req := request(c, 0)
		req["trace"] = true
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := Compute(body)
		if err != nil {
			continue // over the bounds (with or without the trace)
		}
		if resp.GradWeightSteps == nil || resp.GradInputSteps == nil || resp.GradInputGeometry == nil || resp.GradInputGrid == nil {
			t.Fatalf("%s: no backward traces", c.Name)
		}
		var dw, dx, db []float32
		for _, s := range resp.GradWeightSteps {
			dw = append(dw, s.Sum)
		}
		for _, s := range resp.GradInputSteps {
			dx = append(dx, s.Sum)
		}
		for _, s := range resp.GradBiasSteps {
			db = append(db, s.Sum)
		}
		for _, cmp := range []struct {
			what      string
			got, want []float32
		}{{"grad_weight", dw, flat(resp.GradWeight, nil)}, {"grad_input", dx, flat(resp.GradInput, nil)}, {"grad_bias", db, resp.GradBias}} {
			if ok, why := within(cmp.got, cmp.want); !ok {
				t.Errorf("%s: traced %s sums differ from the answer's gradient: %s", c.Name, cmp.what, why)
			}
		}
		checked++
	}
	t.Logf("%d configurations traced backward", checked)
	if checked < 200 {
		t.Errorf("only %d configurations traced backward, want at least 200", checked)
	}
}

// TestBackwardTraceBounded: a backward trace over its bound is refused
// before any work, naming the count and the bound.
func TestBackwardTraceBounded(t *testing.T) {
	body, _ := json.Marshal(map[string]any{
		"input": nest(make([]float32, 64*64), 1, 64, 64), "weight": nest(make([]float32, 15*15), 1, 1, 15, 15),
		"stride": 15, "trace": true, "grad_output": nest(make([]float32, 16), 1, 4, 4)})
	_, err := Compute(body)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != "conv_backward_trace_taps" || apperr.KindOf(err) != apperr.Unprocessable {
		t.Fatalf("err = %v, want conv_backward_trace_taps", err)
	}
	// Without "trace" the same gradients are computed.
	body, _ = json.Marshal(map[string]any{
		"input": nest(make([]float32, 64*64), 1, 64, 64), "weight": nest(make([]float32, 15*15), 1, 1, 15, 15),
		"stride": 15, "grad_output": nest(make([]float32, 16), 1, 4, 4)})
	if resp, err := Compute(body); err != nil || resp.GradInput == nil || resp.GradInputSteps != nil {
		t.Fatalf("without trace: %v", err)
	}
}
