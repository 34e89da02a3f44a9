package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/labstack/echo/v4"
)

// Bounds of one /api/conv request (documented in README.md). They keep a
// request's cost small: at most a few milliseconds of arithmetic and a
// response of a few megabytes.
const (
	apiMaxSide      = 64        // input height and width
	apiMaxChannels  = 16        // input and output channels
	apiMaxKernel    = 15        // kernel height and width
	apiMaxParam     = 64        // stride, dilation, |padding|, output_padding
	apiMaxOutSide   = 256       // output height and width
	apiMaxMACs      = 4_000_000 // multiply-adds
	apiMaxTraceTaps = 20_000    // steps × taps per step when "trace": true
	apiMaxGridCells = 40_000    // cells of the padded grid when "trace": true
)

// convAPIRequest is the body of POST /api/conv. The parameters that take
// several JSON types are kept raw and parsed with their name, so an error
// can say which one is wrong.
type convAPIRequest struct {
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
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

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
	if isNull(raw) {
		return [2]int{def, def}, nil
	}
	if n, ok := parseInt(raw); ok {
		return [2]int{n, n}, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err == nil && len(a) == 2 {
		h, ok1 := parseInt(a[0])
		w, ok2 := parseInt(a[1])
		if ok1 && ok2 {
			return [2]int{h, w}, nil
		}
	}
	return [2]int{}, convBad("%s must be a whole number or a pair [height, width] of whole numbers, got %s", name, truncateRunes(string(raw), 30))
}

// convAPIResponse is the answer. Steps, Grid and Geometry only with "trace".
type convAPIResponse struct {
	Output   [][][]float32    `json:"output"`
	Shape    [3]int           `json:"shape"`
	Steps    []conv.Step      `json:"steps,omitempty"`
	Grid     [][]conv.Cell    `json:"grid,omitempty"`
	Geometry *convAPIGeometry `json:"geometry,omitempty"`
}

// convAPIGeometry is a resolved conv.Geometry for the pages' scripts.
type convAPIGeometry struct {
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

func newConvAPIGeometry(g *conv.Geometry) *convAPIGeometry {
	return &convAPIGeometry{
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

// convErr is a request error: an HTTP status and a message for a student.
type convErr struct {
	status int
	msg    string
	engine *conv.Error // the engine refused (msg is its English message)
}

func (e *convErr) Error() string { return e.msg }

func convBad(format string, a ...any) error {
	return &convErr{http.StatusBadRequest, fmt.Sprintf(format, a...), nil}
}

func convUnprocessable(format string, a ...any) error {
	return &convErr{http.StatusUnprocessableEntity, fmt.Sprintf(format, a...), nil}
}

// convAPI is POST /api/conv: the engine as a JSON service (issue 2).
func (a *app) convAPI(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if isTooLarge(err) {
			return jsonError(err)
		}
		return apiError(c, http.StatusBadRequest, "could not read the request body")
	}
	resp, err := computeConvAPI(body)
	if err != nil {
		var ae *convErr
		if errors.As(err, &ae) {
			if ae.engine != nil { // the engine's reason, in the reader's language (engine_i18n.go)
				return apiError(c, ae.status, engineMessage(i18n.Lang(c.Request().Context()), ae.engine))
			}
			return apiError(c, ae.status, ae.msg)
		}
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

// computeConvAPI decodes, validates and runs one request. Every failure is an
// *convErr (4xx).
func computeConvAPI(body []byte) (*convAPIResponse, error) {
	var req convAPIRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, convDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, convBad("the body must hold one JSON object, with nothing after it")
	}
	if req.Input == nil {
		return nil, convBad(`"input" is missing: a C×H×W array of numbers (channels, rows, columns)`)
	}
	if req.Weight == nil {
		return nil, convBad(`"weight" is missing: a 4-D array of numbers (out_channels × in_channels/groups × kh × kw)`)
	}

	xShape, x, err := parseTensor(req.Input, "input", 3, "channels × rows × columns")
	if err != nil {
		return nil, err
	}
	wShape, w, err := parseTensor(req.Weight, "weight", 4, weightLayout(req.Transposed != nil && *req.Transposed))
	if err != nil {
		return nil, err
	}
	var b []float32
	if !isNull(req.Bias) {
		if _, b, err = parseTensor(req.Bias, "bias", 1, "one number per output channel"); err != nil {
			return nil, err
		}
	}

	spec, err := convAPISpec(&req, xShape, wShape, len(b))
	if err != nil {
		return nil, err
	}
	g, err := spec.Resolve(xShape[1], xShape[2])
	if err != nil {
		var ce *conv.Error
		if errors.As(err, &ce) {
			return nil, &convErr{http.StatusUnprocessableEntity, ce.Msg, ce}
		}
		return nil, convUnprocessable("%v", err)
	}
	if g.OutH > apiMaxOutSide || g.OutW > apiMaxOutSide {
		return nil, convUnprocessable("the output would be %dx%d; this service makes at most %dx%d", g.OutH, g.OutW, apiMaxOutSide, apiMaxOutSide)
	}
	if m := g.MACs(); m > apiMaxMACs {
		return nil, convUnprocessable("this convolution needs %d multiply-adds; this service does at most %d per request (make the input, kernel or channels smaller)", m, apiMaxMACs)
	}
	tapsPerStep := g.InChannels / g.Groups * g.KernelSize[0] * g.KernelSize[1]
	trace := req.Trace != nil && *req.Trace
	if trace {
		if taps := g.StepCount() * tapsPerStep; taps > apiMaxTraceTaps {
			return nil, convUnprocessable("a trace of this convolution has %d steps × %d taps = %d taps; at most %d can be traced (make it smaller, or leave out \"trace\")",
				g.StepCount(), tapsPerStep, taps, apiMaxTraceTaps)
		}
		if cells := g.PaddedH() * g.PaddedW(); cells > apiMaxGridCells {
			return nil, convUnprocessable("the grid the kernel slides over would be %dx%d = %d cells; at most %d can be traced (use less padding or dilation, or leave out \"trace\")",
				g.PaddedH(), g.PaddedW(), cells, apiMaxGridCells)
		}
	}

	y := make([]float32, g.OutLen(1))
	conv.New(g).Forward(y, x, w, b, 1)
	for _, v := range y {
		if !isFinite32(v) {
			return nil, convUnprocessable("the output overflows float32 (a value is beyond ±3.4e38): use smaller numbers in the input or weight")
		}
	}
	resp := &convAPIResponse{Output: reshapeCHW(y, g.OutChannels, g.OutH, g.OutW), Shape: [3]int{g.OutChannels, g.OutH, g.OutW}}
	if trace {
		steps := conv.Trace(g, x, w, b)
		if !stepsFinite(steps) {
			return nil, convUnprocessable("a product or sum in the trace overflows float32 (beyond ±3.4e38): use smaller numbers in the input or weight")
		}
		resp.Steps = steps
		resp.Grid = g.Grid()
		resp.Geometry = newConvAPIGeometry(g)
	}
	return resp, nil
}

func weightLayout(transposed bool) string {
	if transposed {
		return "in_channels × out_channels/groups × kernel height × kernel width"
	}
	return "out_channels × in_channels/groups × kernel height × kernel width"
}

// convAPISpec derives the channels and kernel size from the shapes as
// PyTorch does and checks the request's bounds.
func convAPISpec(req *convAPIRequest, xShape, wShape []int, nBias int) (conv.Spec, error) {
	var s conv.Spec
	cin, h, w := xShape[0], xShape[1], xShape[2]
	if cin > apiMaxChannels {
		return s, convUnprocessable("the input has %d channels; at most %d are allowed here", cin, apiMaxChannels)
	}
	if h > apiMaxSide || w > apiMaxSide {
		return s, convUnprocessable("the input is %dx%d; at most %dx%d is allowed here", h, w, apiMaxSide, apiMaxSide)
	}
	if wShape[2] > apiMaxKernel || wShape[3] > apiMaxKernel {
		return s, convUnprocessable("the kernel is %dx%d; at most %dx%d is allowed here", wShape[2], wShape[3], apiMaxKernel, apiMaxKernel)
	}
	groups := 1
	if !isNull(req.Groups) {
		var ok bool
		if groups, ok = parseInt(req.Groups); !ok {
			return s, convBad("groups must be a whole number, got %s", truncateRunes(string(req.Groups), 30))
		}
		if groups < 1 {
			return s, convUnprocessable("groups must be at least 1, got %d", groups)
		}
		if groups > apiMaxChannels {
			return s, convUnprocessable("groups is %d; at most %d is allowed here", groups, apiMaxChannels)
		}
	}
	s.Groups = groups
	s.Transposed = req.Transposed != nil && *req.Transposed
	s.KernelSize = [2]int{wShape[2], wShape[3]}
	shape := fmt.Sprintf("%d×%d×%d×%d", wShape[0], wShape[1], wShape[2], wShape[3])
	if s.Transposed {
		s.InChannels = wShape[0]
		s.OutChannels = wShape[1] * groups
		if cin != wShape[0] {
			return s, convUnprocessable("the input has %d channels, but a transposed weight of shape %s takes %d (its first dimension is in_channels)", cin, shape, wShape[0])
		}
	} else {
		s.OutChannels = wShape[0]
		s.InChannels = wShape[1] * groups
		if cin != s.InChannels {
			return s, convUnprocessable("the input has %d channels, but the weight of shape %s with groups=%d takes %d (weight.shape[1] × groups)", cin, shape, groups, s.InChannels)
		}
	}
	if s.OutChannels > apiMaxChannels {
		return s, convUnprocessable("the output would have %d channels; at most %d are allowed here", s.OutChannels, apiMaxChannels)
	}
	if nBias > 0 {
		if nBias != s.OutChannels {
			return s, convUnprocessable("bias has %d numbers, but there are %d output channels: give one per output channel", nBias, s.OutChannels)
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
				return p, convUnprocessable("%s must be at least 1, got %dx%d", name, p[0], p[1])
			}
			if v > apiMaxParam || v < -apiMaxParam {
				return p, convUnprocessable("%s %dx%d is too large here (at most %d)", name, p[0], p[1], apiMaxParam)
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
	if err := json.Unmarshal(req.Padding, &word); err == nil && !isNull(req.Padding) {
		s.PaddingStr = strings.ToLower(word)
		if s.PaddingStr != "valid" && s.PaddingStr != "same" {
			return s, convBad("padding must be a number, a pair [height, width], \"valid\" or \"same\", got %q", truncateRunes(word, 20))
		}
	} else if s.Padding, err = check("padding", req.Padding, 0, math.MinInt); err != nil {
		return s, err
	}
	if req.PaddingMode != nil {
		s.PaddingMode = conv.PaddingMode(strings.ToLower(*req.PaddingMode))
	}
	return s, nil
}

// convDecodeError words a JSON decoding error of the request.
func convDecodeError(err error) error {
	var (
		typ *json.UnmarshalTypeError
		syn *json.SyntaxError
	)
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return convBad("the body must be a JSON object such as {\"input\": [[[1,2],[3,4]]], \"weight\": [[[[1]]]]}")
		}
		if typ.Value == "number" || strings.HasPrefix(typ.Value, "number ") {
			return convBad("%s must be a whole number in range, got %s", field, strings.TrimPrefix(typ.Value, "number "))
		}
		return convBad("%s has the wrong type: expected %s, got a JSON %s", field, goTypeWord(typ.Type.String()), typ.Value)
	case errors.As(err, &syn):
		return convBad("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.Is(err, io.EOF):
		return convBad("the request body is empty: send a JSON object with \"input\" and \"weight\"")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return convBad("the JSON ends too early")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return convBad("unknown field %s (known: input, weight, bias, stride, padding, dilation, groups, padding_mode, transposed, output_padding, trace)", f)
	}
	// Errors of pairParam / paddingParam: "json: cannot unmarshal ... : <our message>" or ours alone.
	msg = strings.TrimPrefix(msg, "json: ")
	return convBad("%s", msg)
}

func goTypeWord(t string) string {
	switch t {
	case "int", "*int":
		return "a whole number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return t
}

// parseTensor reads a JSON array nested exactly depth deep, rectangular,
// of finite numbers that fit in float32. layout describes the dimensions
// for the error messages. raw is valid JSON (encoding/json checked it);
// this hand-written scanner allocates only the result, so a large input
// costs little beyond reading it.
func parseTensor(raw json.RawMessage, name string, depth int, layout string) ([]int, []float32, error) {
	p := tensorParser{b: raw, name: name, depth: depth, layout: layout, shape: make([]int, depth), idx: make([]int, depth)}
	for i := range p.shape {
		p.shape[i] = -1
	}
	if err := p.parse(0); err != nil {
		return nil, nil, err
	}
	if p.ws(); p.i != len(p.b) {
		return nil, nil, convBad("%s: malformed JSON", name)
	}
	return p.shape, p.data, nil
}

type tensorParser struct {
	b      []byte
	i      int
	name   string
	depth  int
	layout string
	shape  []int
	idx    []int // the index being read at each level, for messages
	data   []float32
}

func (p *tensorParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// where names the element being read at level, e.g. "input[0][2]".
func (p *tensorParser) where(level int) string {
	var sb strings.Builder
	sb.WriteString(p.name)
	for _, i := range p.idx[:level] {
		sb.WriteByte('[')
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte(']')
	}
	return sb.String()
}

func (p *tensorParser) malformed() error { return convBad("%s: malformed JSON", p.name) }

func (p *tensorParser) parse(level int) error {
	p.ws()
	if p.i >= len(p.b) {
		return p.malformed()
	}
	c := p.b[p.i]
	if level == p.depth {
		return p.number(level, c)
	}
	if c != '[' {
		if level == 0 {
			return convBad("%s must be a %d-D array (%s)", p.name, p.depth, p.layout)
		}
		return convBad("%s must be an array, but %s must be a %d-D array (%s): not deep enough", p.where(level), p.name, p.depth, p.layout)
	}
	p.i++
	n := 0
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
	} else {
		for {
			if level < len(p.idx) {
				p.idx[level] = n
			}
			if err := p.parse(level + 1); err != nil {
				return err
			}
			n++
			p.ws()
			if p.i >= len(p.b) {
				return p.malformed()
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] != ']' {
				return p.malformed()
			}
			p.i++
			break
		}
	}
	if n == 0 {
		return convUnprocessable("%s is empty: every dimension of %s needs at least one entry", p.where(level), p.name)
	}
	switch want := p.shape[level]; {
	case want == -1:
		p.shape[level] = n
	case want != n:
		return convUnprocessable("%s is ragged: %s has %d entries but the others at that level have %d; every row must have the same length", p.name, p.where(level), n, want)
	}
	return nil
}

// number reads the number at the deepest level.
func (p *tensorParser) number(level int, c byte) error {
	path := func() string { return p.where(level) }
	switch {
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.b) && strings.IndexByte("+-.0123456789eE", p.b[p.i]) >= 0 {
			p.i++
		}
		tok := p.b[start:p.i]
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return p.malformed()
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
			return convUnprocessable("%s = %s is too large: numbers must fit in float32 (at most ±3.4e38)", path(), truncateRunes(string(tok), 30))
		}
		p.data = append(p.data, float32(f))
		return nil
	case c == '[':
		return convBad("%s is an array, but %s must be a %d-D array (%s): too deep", path(), p.name, p.depth, p.layout)
	case c == '"':
		var str string
		if err := json.NewDecoder(bytes.NewReader(p.b[p.i:])).Decode(&str); err != nil {
			return p.malformed()
		}
		return convBad("%s must be a number, got the string %q (NaN and Infinity are not allowed)", path(), truncateRunes(str, 20))
	case c == 'n':
		return convBad("%s must be a number, got null", path())
	case c == 't' || c == 'f':
		return convBad("%s must be a number, got %s", path(), map[byte]string{'t': "true", 'f': "false"}[c])
	case c == '{':
		return convBad("%s must be a number, got an object", path())
	}
	return p.malformed()
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func isFinite32(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

func stepsFinite(steps []conv.Step) bool {
	for i := range steps {
		s := &steps[i]
		if !isFinite32(s.Sum) || !isFinite32(s.Bias) {
			return false
		}
		for _, v := range s.ChannelSums {
			if !isFinite32(v) {
				return false
			}
		}
		for _, t := range s.Taps {
			if !isFinite32(t.Product) || !isFinite32(t.Input) || !isFinite32(t.Weight) {
				return false
			}
		}
	}
	return true
}

// reshapeCHW views a C×H×W slice as nested arrays for JSON.
func reshapeCHW(y []float32, c, h, w int) [][][]float32 {
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
