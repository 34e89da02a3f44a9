package animations

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
)

// Limits on what one animation may ask for. They keep every GIF small
// enough to draw in milliseconds and to read on a slide.
const (
	MaxInput    = 32  // input height or width
	MaxKernel   = 9   // kernel height or width
	MaxStride   = 8   // stride per axis
	MaxDilation = 8   // dilation per axis
	MaxPadding  = 16  // padding per axis
	MaxGrid     = 64  // side of the grid the kernel slides over (padded / zero-inserted)
	MaxOutput   = 64  // side of the output
	MaxFrames   = 400 // frames of one GIF (one per output cell, plus the final one)
)

// Params is one convolution (or transposed convolution) to animate: a
// single-channel input of Input[0] × Input[1] cells and a single filter.
// Zero Stride and Dilation mean 1, like conv.Spec.
type Params struct {
	Input         [2]int // input height, width
	Kernel        [2]int // kernel height, width
	Stride        [2]int
	Padding       [2]int
	Dilation      [2]int
	OutputPadding [2]int // transposed only
	Transposed    bool
	// Numbers writes the values into the cells: the input (a fixed small
	// pattern, see NumbersInput), the kernel's weights in the corner of the
	// cells under the window (NumbersWeights) and each output as the engine
	// computes it. Only for animations whose cells are at least
	// MinNumbersCell pixels.
	Numbers bool
}

// Error is a parameter a student should change. Param uses the query
// spelling ("input", "kernel", "stride", "padding", "dilation",
// "output_padding", "transposed"). Err holds the stable code, the named
// arguments and the message ("err.anim_<code>" in the catalogues, or the
// engine's "conv.engine.<code>"), so a page says it in the reader's
// language: apperr.Message(lang, err).
type Error struct {
	Param string
	Err   *apperr.Error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// errf is the error "err.anim_<code>" about param.
func errf(param, code string, args ...apperr.Arg) *Error {
	return &Error{Param: param, Err: apperr.New(apperr.Invalid, "anim_"+code, args...).WithParam(param)}
}

var arg = apperr.A

// IsUserError reports whether err is about the parameters (answer 4xx)
// rather than a failure of the renderer.
func IsUserError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Normalize fills the defaults in (stride and dilation 1).
func (p Params) Normalize() Params {
	for i := range 2 {
		if p.Stride[i] == 0 {
			p.Stride[i] = 1
		}
		if p.Dilation[i] == 0 {
			p.Dilation[i] = 1
		}
	}
	return p
}

// Spec is the single-channel conv.Spec these parameters describe.
func (p Params) Spec() conv.Spec {
	p = p.Normalize()
	return conv.Spec{
		InChannels: 1, OutChannels: 1,
		KernelSize:    p.Kernel,
		Stride:        p.Stride,
		Padding:       p.Padding,
		Dilation:      p.Dilation,
		Transposed:    p.Transposed,
		OutputPadding: p.OutputPadding,
	}
}

// Resolve checks the parameters against convlab's bounds and the conv
// engine's rules and returns the geometry to draw. Every error is an *Error.
func (p Params) Resolve() (*conv.Geometry, error) {
	p = p.Normalize()
	type field struct {
		name     string
		v        [2]int
		min, max int
	}
	for _, f := range []field{
		{"input", p.Input, 1, MaxInput},
		{"kernel", p.Kernel, 1, MaxKernel},
		{"stride", p.Stride, 1, MaxStride},
		{"padding", p.Padding, 0, MaxPadding},
		{"dilation", p.Dilation, 1, MaxDilation},
		{"output_padding", p.OutputPadding, 0, MaxStride},
	} {
		for _, v := range f.v {
			if v < f.min || v > f.max {
				return nil, errf(f.name, "range", arg("field", f.name), arg("min", f.min), arg("max", f.max), arg("got", pair(f.v)))
			}
		}
	}
	g, err := p.Spec().Resolve(p.Input[0], p.Input[1])
	if err != nil {
		var ce *conv.Error
		if errors.As(err, &ce) {
			return nil, &Error{Param: queryName(ce.Param), Err: apperr.FromConv(ce)}
		}
		return nil, err
	}
	if g.PaddedH() > MaxGrid || g.PaddedW() > MaxGrid {
		return nil, errf("input", "grid_big", arg("h", g.PaddedH()), arg("w", g.PaddedW()), arg("max", MaxGrid))
	}
	if g.PaddedH() < 1 || g.PaddedW() < 1 {
		return nil, errf("padding", "nothing_to_draw", arg("padding", pair(p.Padding)))
	}
	if g.OutH > MaxOutput || g.OutW > MaxOutput {
		return nil, errf("input", "output_big", arg("h", g.OutH), arg("w", g.OutW), arg("max", MaxOutput))
	}
	if n := g.OutH*g.OutW + 1; n > MaxFrames {
		return nil, errf("input", "too_many_frames", arg("h", g.OutH), arg("w", g.OutW), arg("cells", g.OutH*g.OutW), arg("max", MaxFrames-1))
	}
	return g, nil
}

// queryName maps conv's PyTorch parameter names to the query names.
func queryName(p string) string {
	switch p {
	case "kernel_size":
		return "kernel"
	case "in_channels", "out_channels", "groups", "padding_mode":
		return "input"
	}
	return p
}

func pair(v [2]int) string {
	if v[0] == v[1] {
		return strconv.Itoa(v[0])
	}
	return fmt.Sprintf("%dx%d", v[0], v[1])
}

// Key is the normalised form of p, the same for every spelling of the same
// animation ("3" and "3x3", a missing stride and stride=1).
func (p Params) Key() string {
	p = p.Normalize()
	t := 0
	if p.Transposed {
		t = 1
	}
	k := fmt.Sprintf("i%dx%d-k%dx%d-s%dx%d-p%dx%d-d%dx%d-t%d-op%dx%d",
		p.Input[0], p.Input[1], p.Kernel[0], p.Kernel[1], p.Stride[0], p.Stride[1],
		p.Padding[0], p.Padding[1], p.Dilation[0], p.Dilation[1], t, p.OutputPadding[0], p.OutputPadding[1])
	if p.Numbers {
		k += "-n"
	}
	return k
}

// Query is p as the query string ParseQuery reads back (the animations'
// own URLs; ConvURL is the visualizer's): input, kernel, stride, padding,
// dilation, and for a transposed convolution transposed=1 and
// output_padding.
func (p Params) Query() string {
	p = p.Normalize()
	v := url.Values{}
	v.Set("input", pair(p.Input))
	v.Set("kernel", pair(p.Kernel))
	v.Set("stride", pair(p.Stride))
	v.Set("padding", pair(p.Padding))
	v.Set("dilation", pair(p.Dilation))
	if p.Transposed {
		v.Set("transposed", "1")
		v.Set("output_padding", pair(p.OutputPadding))
	}
	// url.Values.Encode sorts keys; keep the conventional order instead.
	var b strings.Builder
	if p.Numbers {
		v.Set("numbers", "1")
	}
	for _, k := range []string{"input", "kernel", "stride", "padding", "dilation", "transposed", "output_padding", "numbers"} {
		if s := v.Get(k); s != "" {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k + "=" + url.QueryEscape(s))
		}
	}
	return b.String()
}

// Defaults for a query that leaves input or kernel out.
var defaultParams = Params{Input: [2]int{5, 5}, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}}

// maxQueryValue bounds the length of one query value before parsing.
const maxQueryValue = 16

// ParseQuery reads Params from a query: input, kernel, stride, padding,
// dilation and output_padding each as "N" or "HxW"; transposed and numbers
// as 1/0, true/false, on/off (or empty). Missing values take their defaults
// (input 5, kernel 3, stride 1, padding 0, dilation 1, output_padding 0).
// It checks the syntax only; Resolve checks the values.
func ParseQuery(q url.Values) (Params, error) {
	p := defaultParams
	for _, f := range []struct {
		name string
		dst  *[2]int
	}{
		{"input", &p.Input}, {"kernel", &p.Kernel}, {"stride", &p.Stride},
		{"padding", &p.Padding}, {"dilation", &p.Dilation}, {"output_padding", &p.OutputPadding},
	} {
		vs, ok := q[f.name]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return Params{}, errf(f.name, "repeated", arg("field", f.name), arg("n", len(vs)))
		}
		v, err := ParsePair(f.name, vs[0])
		if err != nil {
			return Params{}, err
		}
		*f.dst = v
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"transposed", &p.Transposed}, {"numbers", &p.Numbers}} {
		vs, ok := q[f.name]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return Params{}, errf(f.name, "repeated", arg("field", f.name), arg("n", len(vs)))
		}
		switch strings.ToLower(strings.TrimSpace(vs[0])) {
		case "1", "true", "on", "yes":
			*f.dst = true
		case "0", "false", "off", "no", "":
			*f.dst = false
		default:
			return Params{}, errf(f.name, "bool", arg("field", f.name), apperr.Q("got", clip(vs[0])))
		}
	}
	// Zero would mean "the default" to Normalize; a typed 0 is a mistake.
	for _, f := range []struct {
		name string
		v    [2]int
		max  int
	}{{"stride", p.Stride, MaxStride}, {"dilation", p.Dilation, MaxDilation}} {
		if f.v[0] < 1 || f.v[1] < 1 {
			return Params{}, errf(f.name, "range", arg("field", f.name), arg("min", 1), arg("max", f.max), arg("got", pair(f.v)))
		}
	}
	if !p.Transposed && p.OutputPadding != [2]int{} {
		return Params{}, errf("output_padding", "output_padding")
	}
	return p, nil
}

// ParsePair reads "N" (both axes) or "HxW" (also "H,W" or "H×W") as a
// non-negative pair with convstate.ParsePair (the app's one pair
// parser); name is used in the error message.
func ParsePair(name, s string) ([2]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return [2]int{}, errf(name, "empty", arg("field", name))
	}
	if len(s) > maxQueryValue {
		return [2]int{}, errf(name, "too_long", arg("field", name), apperr.Q("got", clip(s)))
	}
	h, w, ok := convstate.ParsePair(s)
	if !ok || h < 0 || w < 0 || h > 1_000_000 || w > 1_000_000 {
		return [2]int{}, errf(name, "not_a_size", arg("field", name), apperr.Q("got", clip(s)))
	}
	return [2]int{h, w}, nil
}

// ConvURL is the same configuration on the visualizer (/conv). The URL is
// convstate's (the only writer of /conv URLs).
func (p Params) ConvURL() string {
	p = p.Normalize()
	s := convstate.Configure(p.Input, p.Kernel, p.Stride, p.Padding, p.Dilation)
	if p.Transposed {
		s.Transposed = true
		s.OPH, s.OPW = p.OutputPadding[0], p.OutputPadding[1]
		s.FillW()
	}
	return s.URL()
}

// clip shortens a user's value for an error message.
func clip(s string) string {
	if len(s) > maxQueryValue {
		s = s[:maxQueryValue] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
