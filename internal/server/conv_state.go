package server

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

//go:generate go run ../../scripts/gen_conv_digit.go -o conv_digit.go

// Bounds of the visualizer. Every number a student can step through is
// traced (one Step per output cell, one Tap per multiplication), so the
// page bounds the work before it asks the engine.
const (
	convMaxInput    = 32              // input height/width
	convMaxKernel   = 7               // kernel height/width
	convMaxStride   = 8               // stride
	convMaxDilation = 4               // dilation
	convMaxPadding  = 8               // padding per side
	convMaxChannels = 4               // input channels
	convMaxFilters  = 4               // filters (output channels)
	convMaxOutput   = 64              // output height/width (transposed convolutions grow)
	convMaxMACs     = apiMaxTraceTaps // multiplications traced for one page (as /api/conv)
	convMaxAbs      = 1000            // |value| of an input, weight or bias
)

// convState is the whole visualizer state as a URL carries it: the
// configuration, the values and the step. It is the same object the
// page's script keeps (static/js/visualizer.js) and writes back to the URL.
type convState struct {
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
	W []float32 `json:"w"` // the weight in PyTorch's layout (see conv.Geometry.WeightShape)
	B []float32 `json:"b"` // Filters (all zero and unused without bias)

	// Whether the values differ from the default fill (so the URL must
	// carry them): they came from a preset or from x=, w=, b=.
	XSet bool `json:"x_set"`
	WSet bool `json:"w_set"`
	BSet bool `json:"b_set"`
}

// convParamError is a query parameter the page cannot use. Key names a
// message "conv.err.<Key>" that takes Args.
type convParamError struct {
	Param string
	Key   string
	Args  []any
}

func (e *convParamError) Error() string { return fmt.Sprintf("%s: %s %v", e.Param, e.Key, e.Args) }

func paramErr(param, key string, args ...any) error {
	return &convParamError{Param: param, Key: key, Args: args}
}

func defaultConvState() convState {
	return convState{InH: 5, InW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
		Mode: "zeros", Channels: 1, Filters: 1, Step: 1}
}

// weightIndex is the index of weight (filter f, input channel c, ky, kx)
// in PyTorch's layout: Conv2d F×C×KH×KW, ConvTranspose2d C×F×KH×KW.
func (s *convState) weightIndex(f, c, ky, kx int) int {
	if s.Transposed {
		return ((c*s.Filters+f)*s.KH+ky)*s.KW + kx
	}
	return ((f*s.Channels+c)*s.KH+ky)*s.KW + kx
}

func (s *convState) xLen() int { return s.Channels * s.InH * s.InW }
func (s *convState) wLen() int { return s.Filters * s.Channels * s.KH * s.KW }

// The default fill: small whole numbers that are easy to multiply in your
// head. static/js/visualizer.js has the same three functions (defaultX,
// defaultW, defaultB); a browser test checks that a shared link reproduces.
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

func (s *convState) fillX() {
	s.X = make([]float32, s.xLen())
	for c := range s.Channels {
		for y := range s.InH {
			for x := range s.InW {
				s.X[(c*s.InH+y)*s.InW+x] = defaultX(c, y, x)
			}
		}
	}
	s.XSet = false
}

func (s *convState) fillW() {
	s.W = make([]float32, s.wLen())
	for f := range s.Filters {
		for c := range s.Channels {
			for ky := range s.KH {
				for kx := range s.KW {
					s.W[s.weightIndex(f, c, ky, kx)] = defaultW(f, c, ky, kx, s.KH, s.KW)
				}
			}
		}
	}
	s.WSet = false
}

func (s *convState) fillB() {
	s.B = make([]float32, s.Filters)
	for f := range s.B {
		s.B[f] = defaultB(f)
	}
	s.BSet = false
}

// parseConvQuery reads the visualizer's URL. A preset gives the starting
// configuration and values; any other parameter overrides it.
func parseConvQuery(q url.Values) (convState, error) {
	s := defaultConvState()
	name := strings.TrimSpace(q.Get("preset"))
	if name == "" && !hasConvParams(q) {
		name = convLanding // a bare /conv opens on the lesson's worked example
	}
	if name != "" {
		p, ok := convPresetByName(name)
		if !ok {
			return s, paramErr("preset", "preset", name, strings.Join(convPresetNames(), ", "))
		}
		s = p.state()
	}
	preset := s // to see which value arrays still fit
	var err error
	set := func(e error) {
		if err == nil && e != nil {
			err = e
		}
	}
	if v, ok := param(q, "input"); ok {
		s.InH, s.InW, _ = convParsePair(v, "input", 1, convMaxInput, &err)
	}
	if v, ok := param(q, "kernel"); ok {
		s.KH, s.KW, _ = convParsePair(v, "kernel", 1, convMaxKernel, &err)
	}
	if v, ok := param(q, "stride"); ok {
		s.SH, s.SW, _ = convParsePair(v, "stride", 1, convMaxStride, &err)
	}
	if v, ok := param(q, "dilation"); ok {
		s.DH, s.DW, _ = convParsePair(v, "dilation", 1, convMaxDilation, &err)
	}
	if v, ok := param(q, "padding"); ok && !(q.Get("padkind") == "same" || q.Get("padkind") == "valid") {
		switch lv := strings.ToLower(v); lv {
		case "same", "valid":
			s.PadStr, s.PadH, s.PadW = lv, 0, 0
		default:
			s.PadStr = ""
			s.PadH, s.PadW, _ = convParsePair(v, "padding", 0, convMaxPadding, &err)
		}
	}
	// The page's form (no script) sends the padding kind separately.
	if k := strings.ToLower(q.Get("padkind")); k == "same" || k == "valid" {
		s.PadStr, s.PadH, s.PadW = k, 0, 0
	}
	if v, ok := param(q, "output_padding"); ok {
		s.OPH, s.OPW, _ = convParsePair(v, "output_padding", 0, convMaxKernel, &err)
	}
	if v, ok := param(q, "mode"); ok {
		switch lv := strings.ToLower(v); lv {
		case "zeros", "reflect", "replicate", "circular":
			s.Mode = lv
		default:
			set(paramErr("mode", "mode", v))
		}
	}
	if v, ok := param(q, "channels"); ok {
		s.Channels = convParseInt(v, "channels", 1, convMaxChannels, &err)
	}
	if v, ok := param(q, "filters"); ok {
		s.Filters = convParseInt(v, "filters", 1, convMaxFilters, &err)
	}
	if v, ok := param(q, "bias"); ok {
		s.Bias = convParseBool(v, "bias", &err)
	}
	if v, ok := param(q, "transposed"); ok {
		s.Transposed = convParseBool(v, "transposed", &err)
	}
	if v, ok := param(q, "step"); ok {
		s.Step = convParseInt(v, "step", 1, math.MaxInt32, &err)
	}
	if err != nil {
		return s, err
	}

	// Values: from the URL, else the preset's when the shape still fits,
	// else the default fill.
	if v, ok := param(q, "x"); ok {
		s.X, err = convParseValues(v, "x", s.xLen())
		s.XSet = true
	} else if !(preset.XSet && preset.Channels == s.Channels && preset.InH == s.InH && preset.InW == s.InW) {
		s.fillX()
	}
	if err != nil {
		return s, err
	}
	if v, ok := param(q, "w"); ok {
		s.W, err = convParseValues(v, "w", s.wLen())
		s.WSet = true
	} else if !(preset.WSet && preset.Channels == s.Channels && preset.Filters == s.Filters &&
		preset.KH == s.KH && preset.KW == s.KW && preset.Transposed == s.Transposed) {
		s.fillW()
	}
	if err != nil {
		return s, err
	}
	if v, ok := param(q, "b"); ok {
		s.B, err = convParseValues(v, "b", s.Filters)
		s.BSet = true
	} else if !(preset.BSet && preset.Filters == s.Filters) {
		s.fillB()
	}
	if err != nil {
		return s, err
	}
	// A preset stays named only while nothing overrides it (the page then
	// writes the full configuration to the URL).
	if s.Preset != "" {
		for _, k := range []string{"padkind", "input", "kernel", "stride", "dilation", "padding", "output_padding", "mode", "channels", "filters", "bias", "transposed", "x", "w", "b"} {
			if _, ok := param(q, k); ok {
				s.Preset = ""
				break
			}
		}
	}
	return s, nil
}

// convLanding is the preset a bare /conv opens on.
const convLanding = "lesson-5x5"

// convParams are the query parameters of the visualizer's state.
var convParams = []string{"preset", "input", "kernel", "stride", "padding", "padkind", "dilation", "mode",
	"channels", "filters", "bias", "transposed", "output_padding", "x", "w", "b", "step"}

func hasConvParams(q url.Values) bool {
	for _, k := range convParams {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// param returns a non-empty query parameter.
func param(q url.Values, k string) (string, bool) {
	v := strings.TrimSpace(q.Get(k))
	return v, v != ""
}

// parsePair reads "3", "3x5" (also "3×5", "3,5") into two numbers in [lo, hi].
func convParsePair(v, name string, lo, hi int, errp *error) (int, int, bool) {
	a, b, two := strings.Cut(strings.NewReplacer("×", "x", "X", "x", ",", "x", "*", "x").Replace(v), "x")
	h, err1 := strconv.Atoi(strings.TrimSpace(a))
	w := h
	var err2 error
	if two {
		w, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil {
		if *errp == nil {
			*errp = paramErr(name, "pair", name, v)
		}
		return lo, lo, false
	}
	if h < lo || h > hi || w < lo || w > hi {
		if *errp == nil {
			*errp = paramErr(name, "range", name, v, lo, hi)
		}
		return lo, lo, false
	}
	return h, w, true
}

func convParseInt(v, name string, lo, hi int, errp *error) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		if *errp == nil {
			*errp = paramErr(name, "number", name, v)
		}
		return lo
	}
	if n < lo || n > hi {
		if *errp == nil {
			*errp = paramErr(name, "range", name, v, lo, hi)
		}
		return lo
	}
	return n
}

func convParseBool(v, name string, errp *error) bool {
	switch strings.ToLower(v) {
	case "1", "true", "on", "yes":
		return true
	case "0", "false", "off", "no":
		return false
	}
	if *errp == nil {
		*errp = paramErr(name, "bool", name, v)
	}
	return false
}

// parseValues reads a comma list of exactly n finite numbers.
func convParseValues(v, name string, n int) ([]float32, error) {
	parts := strings.Split(v, ",")
	if len(parts) != n {
		return nil, paramErr(name, "count", name, n, len(parts))
	}
	out := make([]float32, n)
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, paramErr(name, "value", name, p)
		}
		if math.Abs(f) > convMaxAbs {
			return nil, paramErr(name, "big", name, p, convMaxAbs)
		}
		out[i] = float32(f)
	}
	return out, nil
}

// fmtNum writes a value for a cell: whole numbers as they are, others with
// at most two decimals. static/js/visualizer.js has the same fmt.
func fmtNum(v float32) string {
	f := float64(v)
	if f == math.Trunc(f) && math.Abs(f) < 1e9 {
		if f == 0 {
			return "0"
		}
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	// Halves round away from zero, as JavaScript's toFixed does.
	r := math.Round(f*100) / 100
	if r == 0 {
		return "0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// fmtURLNum writes a value for the URL: the shortest form that reads back
// as the same float32.
func fmtURLNum(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// query is the state as a URL query, the form static/js/visualizer.js
// writes (toQuery): a preset nobody changed is named, otherwise every
// setting that differs from the default and the values that differ from
// the default fill.
func (s *convState) query() url.Values {
	q := url.Values{}
	if s.Preset != "" {
		q.Set("preset", s.Preset)
		if s.Step > 1 {
			q.Set("step", strconv.Itoa(s.Step))
		}
		return q
	}
	d := defaultConvState()
	q.Set("input", pairText(s.InH, s.InW))
	q.Set("kernel", pairText(s.KH, s.KW))
	if s.SH != 1 || s.SW != 1 {
		q.Set("stride", pairText(s.SH, s.SW))
	}
	switch {
	case s.PadStr != "":
		q.Set("padding", s.PadStr)
	case s.PadH != 0 || s.PadW != 0:
		q.Set("padding", pairText(s.PadH, s.PadW))
	}
	if s.DH != 1 || s.DW != 1 {
		q.Set("dilation", pairText(s.DH, s.DW))
	}
	if s.Mode != d.Mode {
		q.Set("mode", s.Mode)
	}
	if s.Channels != 1 {
		q.Set("channels", strconv.Itoa(s.Channels))
	}
	if s.Filters != 1 {
		q.Set("filters", strconv.Itoa(s.Filters))
	}
	if s.Bias {
		q.Set("bias", "1")
	}
	if s.Transposed {
		q.Set("transposed", "1")
		if s.OPH != 0 || s.OPW != 0 {
			q.Set("output_padding", pairText(s.OPH, s.OPW))
		}
	}
	list := func(v []float32) string {
		parts := make([]string, len(v))
		for i, f := range v {
			parts[i] = fmtURLNum(f)
		}
		return strings.Join(parts, ",")
	}
	if s.XSet {
		q.Set("x", list(s.X))
	}
	if s.WSet {
		q.Set("w", list(s.W))
	}
	if s.BSet && s.Bias {
		q.Set("b", list(s.B))
	}
	if s.Step > 1 {
		q.Set("step", strconv.Itoa(s.Step))
	}
	return q
}
