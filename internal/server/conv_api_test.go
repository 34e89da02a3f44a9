package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
)

// The lesson's 5x5 example (../shared/seed): its first window
// [[1,2,3],[0,1,5],[1,0,2]] under the cross filter makes 8.
const lessonInput = `[[[1,2,3,4,5],[0,1,5,2,1],[1,0,2,1,0],[3,1,0,2,2],[0,4,1,1,3]]]`
const crossFilter = `[[[[1,0,1],[0,1,0],[1,0,1]]]]`

// apiCell and apiStep read the trace JSON back (conv.CellKind only marshals).
type apiCell struct {
	Kind string `json:"kind"`
	SrcY int    `json:"src_y"`
	SrcX int    `json:"src_x"`
}

type apiStep struct {
	Index int `json:"index"`
	OutY  int `json:"out_y"`
	OutX  int `json:"out_x"`
	Taps  []struct {
		apiCell
		Input, Weight, Product float32
	} `json:"taps"`
	ChannelSums []float32 `json:"channel_sums"`
	Bias        float32   `json:"bias"`
	Sum         float32   `json:"sum"`
}

type convAPIResult struct {
	Output   [][][]float32 `json:"output"`
	Shape    []int         `json:"shape"`
	Steps    []apiStep     `json:"steps"`
	Grid     [][]apiCell   `json:"grid"`
	Geometry *struct {
		InH       int `json:"in_h"`
		InW       int `json:"in_w"`
		OutH      int `json:"out_h"`
		OutW      int `json:"out_w"`
		PaddedH   int `json:"padded_h"`
		PaddedW   int `json:"padded_w"`
		PadTop    int `json:"pad_top"`
		PadBottom int `json:"pad_bottom"`
		MACs      int `json:"macs"`
		Params    int `json:"params"`
	} `json:"geometry"`
	Error string `json:"error"`
}

func callConv(t *testing.T, body string) (int, convAPIResult, string) {
	t.Helper()
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := a.handler()
	req := httptest.NewRequest(http.MethodPost, "/api/conv", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res convAPIResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	return rec.Code, res, rec.Body.String()
}

// want computes the expected output with the naive oracle (not the fast path the handler uses).
func naiveOutput(t *testing.T, s conv.Spec, h, w int, x, wt, b []float32) []float32 {
	g, err := s.Resolve(h, w)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, x, wt, b, 1)
	return y
}

func flat(o [][][]float32) []float32 {
	var f []float32
	for _, c := range o {
		for _, r := range c {
			f = append(f, r...)
		}
	}
	return f
}

func TestConvAPILesson(t *testing.T) {
	code, res, body := callConv(t, `{"input": `+lessonInput+`, "weight": `+crossFilter+`}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if fmt.Sprint(res.Shape) != "[1 3 3]" {
		t.Fatalf("shape %v, want [1 3 3]", res.Shape)
	}
	if got := res.Output[0][0][0]; got != 8 {
		t.Errorf("output[0][0][0] = %v, want 8 (the lesson's first window)", got)
	}
	x := []float32{1, 2, 3, 4, 5, 0, 1, 5, 2, 1, 1, 0, 2, 1, 0, 3, 1, 0, 2, 2, 0, 4, 1, 1, 3}
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	want := naiveOutput(t, conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}, 5, 5, x, w, nil)
	if got := flat(res.Output); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("output %v, want %v", got, want)
	}
	if res.Steps != nil || res.Grid != nil || res.Geometry != nil {
		t.Errorf("trace fields without trace")
	}
}

func TestConvAPILessonSizes(t *testing.T) {
	ones := func(c, h, w int) string {
		rows := strings.TrimSuffix(strings.Repeat("1,", w), ",")
		plane := strings.TrimSuffix(strings.Repeat("["+rows+"],", h), ",")
		return "[" + strings.TrimSuffix(strings.Repeat("["+plane+"],", c), ",") + "]"
	}
	k3 := `[[[[1,1,1],[1,1,1],[1,1,1]]]]`
	for _, tc := range []struct {
		name, extra string
		h, w        int
		want        string
	}{
		{"4x4 k3", ``, 4, 4, "[1 2 2]"},
		{"28x28 k3", ``, 28, 28, "[1 26 26]"},
		{"28x28 k3 p1", `,"padding":1`, 28, 28, "[1 28 28]"},
		{"28x28 k3 s2 p1", `,"padding":1,"stride":2`, 28, 28, "[1 14 14]"},
		{"5x5 s2", `,"stride":2`, 5, 5, "[1 2 2]"},
		{"5x5 p2", `,"padding":2`, 5, 5, "[1 7 7]"},
		{"5x5 same", `,"padding":"same"`, 5, 5, "[1 5 5]"},
		{"5x5 valid", `,"padding":"valid"`, 5, 5, "[1 3 3]"},
		{"5x5 pairs", `,"padding":[1,0],"stride":[1,2]`, 5, 5, "[1 5 2]"},
		{"5x5 dilation 2", `,"dilation":2`, 5, 5, "[1 1 1]"},
		{"transposed 2x2 s2", `,"transposed":true,"stride":2`, 2, 2, "[1 5 5]"},
		{"transposed op1", `,"transposed":true,"stride":2,"output_padding":1`, 2, 2, "[1 6 6]"},
		{"reflect", `,"padding":1,"padding_mode":"reflect"`, 4, 4, "[1 4 4]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, res, body := callConv(t, `{"input":`+ones(1, tc.h, tc.w)+`,"weight":`+k3+tc.extra+`}`)
			if code != 200 || fmt.Sprint(res.Shape) != tc.want {
				t.Fatalf("%d shape %v, want %s: %s", code, res.Shape, tc.want, body)
			}
			if len(res.Output) != res.Shape[0] || len(res.Output[0]) != res.Shape[1] || len(res.Output[0][0]) != res.Shape[2] {
				t.Errorf("output dims do not match shape %v", res.Shape)
			}
		})
	}
}

func TestConvAPIMultiChannelGroupsBias(t *testing.T) {
	// 2 input channels, groups 2 (depthwise), 4 filters, bias: against the oracle.
	x := make([]float32, 2*4*5)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	w := make([]float32, 4*1*2*3)
	for i := range w {
		w[i] = float32(i%5)*0.5 - 1
	}
	b := []float32{0.5, -1, 2, 0}
	body := fmt.Sprintf(`{"input":%s,"weight":%s,"bias":%s,"groups":2,"padding":[1,0],"stride":[2,1]}`,
		nest(x, 2, 4, 5), nest(w, 4, 1, 2, 3), mustJSON(b))
	code, res, raw := callConv(t, body)
	if code != 200 {
		t.Fatalf("%d: %s", code, raw)
	}
	want := naiveOutput(t, conv.Spec{InChannels: 2, OutChannels: 4, KernelSize: [2]int{2, 3}, Groups: 2, Bias: true,
		Padding: [2]int{1, 0}, Stride: [2]int{2, 1}}, 4, 5, x, w, b)
	got := flat(res.Output)
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("output[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestConvAPITrace(t *testing.T) {
	code, res, body := callConv(t, `{"input": `+lessonInput+`, "weight": `+crossFilter+`, "bias": [1], "padding": 1, "padding_mode": "replicate", "trace": true}`)
	if code != 200 {
		t.Fatalf("%d: %s", code, body)
	}
	if len(res.Steps) != 25 || res.Geometry == nil || len(res.Grid) != 7 || len(res.Grid[0]) != 7 {
		t.Fatalf("steps %d, grid %dx?, geometry %v", len(res.Steps), len(res.Grid), res.Geometry)
	}
	g := res.Geometry
	if g.OutH != 5 || g.PaddedH != 7 || g.PadTop != 1 || g.MACs != 225 || g.Params != 10 {
		t.Errorf("geometry %+v", *g)
	}
	out := flat(res.Output)
	for i, s := range res.Steps {
		if s.Index != i || s.Sum != out[i] || len(s.Taps) != 9 || s.Bias != 1 {
			t.Fatalf("step %d: index %d sum %v (output %v) taps %d bias %v", i, s.Index, s.Sum, out[i], len(s.Taps), s.Bias)
		}
	}
	// Step (1,1) covers the lesson's first window: 8, plus the bias.
	if s := res.Steps[6]; s.OutY != 1 || s.OutX != 1 || s.Sum != 9 {
		t.Errorf("step 6 = (%d,%d) sum %v, want (1,1) 9", s.OutY, s.OutX, s.Sum)
	}
	if c := res.Grid[0][0]; c.Kind != "copy" || c.SrcY != 0 || c.SrcX != 0 {
		t.Errorf("grid corner %+v, want a copy of (0,0)", c)
	}
	if !strings.Contains(body, `"kind":"copy"`) || !strings.Contains(body, `"kind":"real"`) {
		t.Errorf("cell kinds are not words in JSON")
	}
}

func TestConvAPIBadInput(t *testing.T) {
	big := func(n int) string { return "[[" + strings.Repeat("[1],", n-1) + "[1]]]" }
	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"empty body", ``, 400, "empty"},
		{"malformed", `{"input": [[[1,2]]], "weight": `, 400, "JSON"},
		{"not an object", `[1,2,3]`, 400, "JSON object"},
		{"trailing", `{"input":[[[1]]],"weight":[[[[1]]]]} {}`, 400, "nothing after"},
		{"trailing bracket", `{"input":[[[1]]],"weight":[[[[1]]]]} ]`, 400, "nothing after"},
		{"unknown field", `{"input":[[[1]]],"weight":[[[[1]]]],"kernal":3}`, 400, `unknown field "kernal"`},
		{"no input", `{"weight":[[[[1]]]]}`, 400, `"input" is missing`},
		{"no weight", `{"input":[[[1]]]}`, 400, `"weight" is missing`},
		{"input 2-D", `{"input":[[1,2],[3,4]],"weight":[[[[1]]]]}`, 400, "3-D array"},
		{"input 4-D", `{"input":[[[[1]]]],"weight":[[[[1]]]]}`, 400, "too deep"},
		{"input a number", `{"input":5,"weight":[[[[1]]]]}`, 400, "3-D array"},
		{"ragged", `{"input":[[[1,2,3],[4,5]]],"weight":[[[[1]]]]}`, 422, "ragged"},
		{"ragged depth", `{"input":[[[1,2],3]],"weight":[[[[1]]]]}`, 400, "not deep enough"},
		{"empty dim", `{"input":[[]],"weight":[[[[1]]]]}`, 422, "empty"},
		{"NaN string", `{"input":[[["NaN"]]],"weight":[[[[1]]]]}`, 400, "must be a number"},
		{"Infinity string", `{"input":[[[1]]],"weight":[[[["Infinity"]]]]}`, 400, "NaN and Infinity"},
		{"bare NaN", `{"input":[[[NaN]]],"weight":[[[[1]]]]}`, 400, "malformed JSON"},
		{"null cell", `{"input":[[[null]]],"weight":[[[[1]]]]}`, 400, "input[0][0][0] is null"},
		{"bool cell", `{"input":[[[true]]],"weight":[[[[1]]]]}`, 400, "must be a number"},
		{"huge number", `{"input":[[[1e39]]],"weight":[[[[1]]]]}`, 422, "float32"},
		{"beyond float64", `{"input":[[[1e400]]],"weight":[[[[1]]]]}`, 422, "float32"},
		{"overflow", `{"input":[[[3e38, 3e38]]],"weight":[[[[3e38, 3e38]]]]}`, 422, "overflows float32"},
		{"overflow in sum", `{"input":[[[3e38, 3e38]]],"weight":[[[[1, 1]]]]}`, 422, "overflows float32"},
		{"stride string", `{"input":[[[1]]],"weight":[[[[1]]]],"stride":"2"}`, 400, "stride"},
		{"stride triple", `{"input":[[[1]]],"weight":[[[[1]]]],"stride":[1,2,3]}`, 400, "pair"},
		{"stride fraction", `{"input":[[[1]]],"weight":[[[[1]]]],"stride":1.5}`, 400, "whole number"},
		{"stride 0", `{"input":[[[1]]],"weight":[[[[1]]]],"stride":0}`, 422, "stride must be at least 1"},
		{"dilation 0", `{"input":[[[1]]],"weight":[[[[1]]]],"dilation":[1,0]}`, 422, "dilation must be at least 1"},
		{"groups 0", `{"input":[[[1]]],"weight":[[[[1]]]],"groups":0}`, 422, "groups must be at least 1"},
		{"groups string", `{"input":[[[1]]],"weight":[[[[1]]]],"groups":"x"}`, 400, "groups"},
		{"padding word", `{"input":[[[1]]],"weight":[[[[1]]]],"padding":"full"}`, 400, `"full"`},
		{"padding negative zeros", `{"input":[[[1,2],[3,4]]],"weight":[[[[1]]]],"padding":-1}`, 422, "padding cannot be negative"},
		{"same with stride", `{"input":[[[1,2],[3,4]]],"weight":[[[[1]]]],"padding":"same","stride":2}`, 422, "stride 1"},
		{"kernel larger", `{"input":[[[1,2],[3,4]]],"weight":[[[[1,1,1],[1,1,1],[1,1,1]]]]}`, 422, "larger than the padded input"},
		{"reflect too much", `{"input":[[[1,2],[3,4]]],"weight":[[[[1]]]],"padding":2,"padding_mode":"reflect"}`, 422, "reflect"},
		{"bad mode", `{"input":[[[1]]],"weight":[[[[1]]]],"padding_mode":"mirror"}`, 422, "padding_mode"},
		{"channels mismatch", `{"input":[[[1]],[[2]]],"weight":[[[[1]]]]}`, 422, "the input has 2 channels"},
		{"groups channels", `{"input":[[[1]],[[2]],[[3]]],"weight":[[[[1]]],[[[1]]]],"groups":2}`, 422, "the input has 3 channels"},
		{"groups divisible", `{"input":[[[1]],[[2]]],"weight":[[[[1]]],[[[1]]],[[[1]]]],"groups":2}`, 422, "divisible by groups"},
		{"padding fraction", `{"input":[[[1]]],"weight":[[[[1]]]],"padding":[0.5,1]}`, 400, "padding must be"},
		{"transposed string", `{"input":[[[1]]],"weight":[[[[1]]]],"transposed":"yes"}`, 400, "transposed"},
		{"bias length", `{"input":[[[1]]],"weight":[[[[1]]]],"bias":[1,2]}`, 422, "bias has 2 numbers"},
		{"bias 2-D", `{"input":[[[1]]],"weight":[[[[1]]]],"bias":[[1]]}`, 400, "bias"},
		{"output_padding conv2d", `{"input":[[[1]]],"weight":[[[[1]]]],"output_padding":1}`, 422, "output_padding"},
		{"output_padding too big", `{"input":[[[1]]],"weight":[[[[1]]]],"transposed":true,"output_padding":1}`, 422, "output_padding must be smaller"},
		{"transposed channels", `{"input":[[[1]],[[1]]],"weight":[[[[1]]]],"transposed":true}`, 422, "transposed weight"},
		{"transposed same", `{"input":[[[1]]],"weight":[[[[1]]]],"transposed":true,"padding":"same"}`, 422, "ConvTranspose2d"},
		{"input too big", `{"input":` + big(65) + `,"weight":[[[[1]]]]}`, 422, "at most 64×64"},
		{"too many channels", `{"input":[` + strings.TrimSuffix(strings.Repeat("[[1]],", 17), ",") + `],"weight":[[[[1]]]],"groups":17}`, 422, "17 channels"},
		{"kernel too big", `{"input":[[[1]]],"weight":[[[` + strings.TrimSuffix(strings.Repeat("[1],", 16), ",") + `]]]}`, 422, "kernel is 16×1"},
		{"stride too big", `{"input":[[[1]]],"weight":[[[[1]]]],"stride":65}`, 422, "too large"},
		{"transposed output too big", `{"input":[[[1,1,1,1,1,1,1,1]]],"weight":[[[[1]]]],"transposed":true,"stride":[1,64]}`, 422, "at most 256×256"},
		{"trace too long", `{"input":` + ones3(1, 64, 64) + `,"weight":` + ones4(1, 1, 3, 3) + `,"trace":true}`, 422, "at most 20000 can be traced"},
		{"trace grid too big", `{"input":` + ones3(1, 1, 10) + `,"weight":` + ones4(1, 1, 3, 3) + `,"transposed":true,"dilation":64,"stride":[1,10],"padding":[64,0],"trace":true}`, 422, "129×347 = 44763 cells; at most 40000"},
		{"too much work", `{"input":` + ones3(16, 30, 30) + `,"weight":` + ones4(16, 16, 5, 5) + `}`, 422, "multiply-adds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, res, body := callConv(t, tc.body)
			if code != tc.status || !strings.Contains(res.Error, tc.msg) {
				t.Errorf("status %d error %q; want %d containing %q (body %.200s)", code, res.Error, tc.status, tc.msg, body)
			}
			if res.Output != nil {
				t.Errorf("an error answer carries output")
			}
		})
	}
}

func TestConvAPIBodyLimit(t *testing.T) {
	_, srv := newTestServer(t)
	body := `{"input":[[[` + strings.Repeat("0,", 600_000) + `0]]],"weight":[[[[1]]]]}`
	resp, raw := post(t, srv.URL+"/api/conv", "application/json", body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "too large") {
		t.Errorf("1.2 MB body: %d %.200s", resp.StatusCode, raw)
	}
	// The same through a chunked body (no Content-Length).
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/conv", struct{ *strings.Reader }{strings.NewReader(body)})
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 1.2 MB body: %d", r2.StatusCode)
	}
}

func TestConvAPIWrongMethod(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/api/conv")
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(body, `"error"`) {
		t.Errorf("GET /api/conv = %d %s", resp.StatusCode, body)
	}
}

func ones3(c, h, w int) string {
	return nest(make([]float32, c*h*w), c, h, w)
}

func ones4(a, b, h, w int) string {
	return nest(make([]float32, a*b*h*w), a, b, h, w)
}

// nest writes flat data as a nested JSON array of the given shape.
func nest(data []float32, shape ...int) string {
	var sb strings.Builder
	var rec func(off, d int) int
	rec = func(off, d int) int {
		sb.WriteByte('[')
		for i := range shape[d] {
			if i > 0 {
				sb.WriteByte(',')
			}
			if d == len(shape)-1 {
				fmt.Fprint(&sb, data[off])
				off++
			} else {
				off = rec(off, d+1)
			}
		}
		sb.WriteByte(']')
		return off
	}
	rec(0, 0)
	return sb.String()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
