package convstate

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// Landing is the preset a bare /conv opens on.
const Landing = "lesson-4x4"

// Params are the query parameters of the visualizer's state, in the
// order Query writes them. "padkind" is the page's form (no script)
// sending the padding kind apart from the amount.
var Params = []string{"preset", "input", "kernel", "stride", "padding", "padkind", "dilation", "mode",
	"channels", "filters", "bias", "transposed", "output_padding", "x", "w", "b", "step"}

// IsParam reports whether k is one of the visualizer's query parameters
// (others, such as lang or present, belong to the page).
func IsParam(k string) bool {
	for _, p := range Params {
		if p == k {
			return true
		}
	}
	return false
}

func hasParams(q url.Values) bool {
	for _, k := range Params {
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

// Parse reads the visualizer's URL. A preset gives the starting
// configuration and values; any other parameter overrides it. A bare
// query opens the Landing preset. The result is valid (Validate) or an
// *apperr.Error.
func Parse(q url.Values) (State, error) {
	s := Default()
	name := strings.TrimSpace(q.Get("preset"))
	if name == "" && !hasParams(q) {
		name = Landing
	}
	if name != "" {
		p, ok := PresetByName(name)
		if !ok {
			return s, errorf("preset", "preset", clip(name, 40), joinNames())
		}
		s = p.State()
	}
	base := s
	if err := s.override(q); err != nil {
		return s, err
	}
	// Values: from the URL, else the preset's when the shape still fits,
	// else the default fill.
	s.refit(&base, false)
	for _, v := range []struct {
		name string
		dst  *[]float32
		set  *bool
		n    int
	}{{"x", &s.X, &s.XSet, s.XLen()}, {"w", &s.W, &s.WSet, s.WLen()}, {"b", &s.B, &s.BSet, s.Filters}} {
		if v.name == "b" && !s.Bias {
			continue // a bias the convolution does not add (Query leaves it out)
		}
		if raw, ok := param(q, v.name); ok {
			vals, err := ParseValues(raw, v.name, v.n)
			if err != nil {
				return s, err
			}
			*v.dst, *v.set = vals, true
		}
	}
	// A preset stays named only while nothing overrides it (the page then
	// writes the full configuration to the URL).
	if s.Preset != "" {
		for _, k := range Params {
			if _, ok := param(q, k); ok && k != "preset" && k != "step" {
				s.Preset = ""
				break
			}
		}
	}
	return s, s.Validate()
}

// override applies the configuration parameters of q (not the values)
// to s; the first unusable one is the error.
func (s *State) override(q url.Values) error {
	var err error
	keep := func(e error) {
		if err == nil && e != nil {
			err = e
		}
	}
	pair := func(k string, dh, dw *int, lo, hi int) {
		if v, ok := param(q, k); ok {
			h, w, e := rangePair(v, k, lo, hi)
			keep(e)
			if e == nil {
				*dh, *dw = h, w
			}
		}
	}
	pair("input", &s.InH, &s.InW, 1, MaxInput)
	pair("kernel", &s.KH, &s.KW, 1, MaxKernel)
	pair("stride", &s.SH, &s.SW, 1, MaxStride)
	pair("dilation", &s.DH, &s.DW, 1, MaxDilation)
	kind := strings.ToLower(q.Get("padkind"))
	switch {
	case kind == "same" || kind == "valid":
		s.PadStr, s.PadH, s.PadW = kind, 0, 0
	default:
		if v, ok := param(q, "padding"); ok {
			if lv := strings.ToLower(v); lv == "same" || lv == "valid" {
				s.PadStr, s.PadH, s.PadW = lv, 0, 0
			} else {
				s.PadStr = ""
				pair("padding", &s.PadH, &s.PadW, 0, MaxPadding)
			}
		} else if kind == "num" {
			s.PadStr = ""
		}
	}
	pair("output_padding", &s.OPH, &s.OPW, 0, MaxOutputPadding)
	if v, ok := param(q, "mode"); ok {
		if lv := strings.ToLower(v); validMode(lv) {
			s.Mode = lv
		} else {
			keep(errorf("mode", "mode", clip(v, 20)))
		}
	}
	num := func(k string, dst *int, hi int) {
		if v, ok := param(q, k); ok {
			n, e := rangeInt(v, k, 1, hi)
			keep(e)
			if e == nil {
				*dst = n
			}
		}
	}
	num("channels", &s.Channels, MaxChannels)
	num("filters", &s.Filters, MaxFilters)
	num("step", &s.Step, math.MaxInt32)
	s.Step = min(s.Step, MaxStep) // the page clamps it to the trace
	flag := func(k string, dst *bool) {
		if v, ok := param(q, k); ok {
			b, e := ParseBool(v)
			if e != nil {
				keep(errorf(k, "bool", k, clip(v, 20)))
			} else {
				*dst = b
			}
		}
	}
	flag("bias", &s.Bias)
	flag("transposed", &s.Transposed)
	if !s.Transposed {
		s.OPH, s.OPW = 0, 0
	}
	return err
}

// ParsePair reads a size as people write it: "3" (both axes) or
// "3x5" (also "3×5", "3X5", "3*5", "3,5"), each a whole number. It
// checks the syntax only; callers check the range. It is the one pair
// parser of the app (the /conv URL and form, the /animations query).
func ParsePair(v string) (h, w int, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 32 {
		return 0, 0, false
	}
	a, b, two := strings.Cut(strings.NewReplacer("×", "x", "X", "x", ",", "x", "*", "x").Replace(v), "x")
	h, err1 := strconv.Atoi(strings.TrimSpace(a))
	w = h
	var err2 error
	if two {
		w, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return h, w, true
}

func rangePair(v, name string, lo, hi int) (int, int, error) {
	h, w, ok := ParsePair(v)
	if !ok {
		return lo, lo, errorf(name, "pair", name, clip(v, 20))
	}
	if h < lo || h > hi || w < lo || w > hi {
		return lo, lo, errorf(name, "range", name, clip(v, 20), lo, hi)
	}
	return h, w, nil
}

func rangeInt(v, name string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return lo, errorf(name, "number", name, clip(v, 20))
	}
	if n < lo || n > hi {
		return lo, errorf(name, "range", name, clip(v, 20), lo, hi)
	}
	return n, nil
}

// ParseBool reads an on/off query value: 1/0, true/false, on/off, yes/no.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "on", "yes":
		return true, nil
	case "0", "false", "off", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not 1 or 0", v)
}

// ParseValues reads a comma list of exactly n finite numbers of at most
// MaxAbs (x=, w=, b= of the URL; one number typed into a grid cell is
// ParseValues(text, name, 1)). Commas inside a number are not decimal
// points; "−" (the minus sign) reads as "-".
func ParseValues(v, name string, n int) ([]float32, error) {
	parts := strings.Split(v, ",")
	if len(parts) != n {
		return nil, errorf(name, "count", name, n, len(parts))
	}
	out := make([]float32, n)
	for i, p := range parts {
		p = strings.ReplaceAll(strings.TrimSpace(p), "−", "-")
		f, err := strconv.ParseFloat(p, 32)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errorf(name, "value", name, clip(p, 20))
		}
		if math.Abs(f) > MaxAbs {
			return nil, errorf(name, "big", name, clip(p, 20), MaxAbs)
		}
		out[i] = float32(f)
	}
	return out, nil
}

// pairText writes a pair the way ParsePair reads it: "3" or "3x5".
func pairText(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("%dx%d", a, b)
}

// PairText writes a pair the way the visualizer's form shows it.
func PairText(a, b int) string { return pairText(a, b) }

// fmtURLNum writes a value for the URL: the shortest form that reads back
// as the same float32.
func fmtURLNum(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// Query is the state as a URL query, the only writer of the visualizer's
// URL: a preset nobody changed is named; otherwise the configuration
// (settings at their defaults left out) and the values that differ from
// the default fill. Parse(s.Query()) gives s back.
func (s *State) Query() url.Values {
	q := url.Values{}
	if s.Step > 1 {
		q.Set("step", strconv.Itoa(s.Step))
	}
	if s.Preset != "" {
		q.Set("preset", s.Preset)
		return q
	}
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
	if s.Mode != "zeros" {
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
	return q
}

// URL is the visualizer's URL of the state: "/conv?" + the query.
func (s *State) URL() string { return "/conv?" + s.Query().Encode() }

// StepURL is the URL of the same state at another step.
func (s *State) StepURL(step int) string {
	c := *s
	c.Step = step
	return c.URL()
}

// Configure is a state of the given configuration with the default
// values, for links into the visualizer from other pages (the
// animations, the quiz). Callers set fields of the result, then call
// URL.
func Configure(in, kernel, stride, padding, dilation [2]int) State {
	s := Default()
	s.InH, s.InW = in[0], in[1]
	s.KH, s.KW = kernel[0], kernel[1]
	s.SH, s.SW = stride[0], stride[1]
	s.PadH, s.PadW = padding[0], padding[1]
	s.DH, s.DW = dilation[0], dilation[1]
	s.Fill()
	return s
}
