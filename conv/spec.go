package conv

import (
	"fmt"
	"strings"
)

// PaddingMode is torch.nn.Conv2d's padding_mode.
type PaddingMode string

// The four padding modes PyTorch offers.
const (
	Zeros     PaddingMode = "zeros"
	Reflect   PaddingMode = "reflect"
	Replicate PaddingMode = "replicate"
	Circular  PaddingMode = "circular"
)

// Limits that keep a single Spec sane. They are far above anything the
// lessons need; request-level budgets (total work, body size) live in the
// web layer.
const (
	MaxDim      = 4096 // any spatial size, kernel size, stride, dilation or padding
	MaxChannels = 4096
)

// Spec describes a convolution layer with torch.nn.Conv2d's (or
// ConvTranspose2d's) parameters. Zero values of Stride, Dilation and Groups
// mean 1 and an empty PaddingMode means "zeros", so a literal only needs
// the fields that differ from PyTorch's defaults.
type Spec struct {
	InChannels  int    // in_channels
	OutChannels int    // out_channels
	KernelSize  [2]int // kernel_size (kh, kw)
	Stride      [2]int // stride (sh, sw)
	Padding     [2]int // padding (ph, pw), used when PaddingStr is ""
	// PaddingStr is padding="valid" or padding="same"; "" means use Padding.
	PaddingStr    string
	Dilation      [2]int      // dilation (dh, dw)
	Groups        int         // groups
	Bias          bool        // bias
	PaddingMode   PaddingMode // padding_mode
	Transposed    bool        // ConvTranspose2d instead of Conv2d
	OutputPadding [2]int      // output_padding (transposed only)
}

// Geometry is a Spec resolved against an input size: everything the kernels
// need. Create it with Spec.Resolve; treat it as read-only.
type Geometry struct {
	Spec // normalised: Stride, Dilation, Groups >= 1, PaddingMode set

	InH, InW   int // input height and width
	OutH, OutW int // output height and width

	// Padding actually applied on each side. For Conv2d these are the
	// padding of the input; "same" may make bottom/right one larger than
	// top/left (PyTorch puts the odd extra there). With a padding_mode
	// other than "zeros", PyTorch also takes negative padding, which crops
	// the input: then the pads are negative and the padded grid is smaller
	// than the input. For ConvTranspose2d,
	// PadTop == PadBottom == Padding[0] and PadLeft == PadRight ==
	// Padding[1] (PyTorch's meaning: rows/columns cropped from the output).
	PadTop, PadBottom, PadLeft, PadRight int
}

// XLen is the length of an input slice for a batch of n.
func (g *Geometry) XLen(n int) int { return n * g.InChannels * g.InH * g.InW }

// OutLen is the length of an output slice for a batch of n.
func (g *Geometry) OutLen(n int) int { return n * g.OutChannels * g.OutH * g.OutW }

// WeightShape is the PyTorch shape of the weight tensor.
func (g *Geometry) WeightShape() [4]int {
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	if g.Transposed {
		return [4]int{g.InChannels, g.OutChannels / g.Groups, kh, kw}
	}
	return [4]int{g.OutChannels, g.InChannels / g.Groups, kh, kw}
}

// WeightLen is the number of weights.
func (g *Geometry) WeightLen() int {
	s := g.WeightShape()
	return s[0] * s[1] * s[2] * s[3]
}

// ParamCount is the number of learnable parameters (weights plus bias).
func (g *Geometry) ParamCount() int {
	n := g.WeightLen()
	if g.Bias {
		n += g.OutChannels
	}
	return n
}

// MACs is the number of multiply-adds one image costs.
func (g *Geometry) MACs() int {
	cin := g.InChannels / g.Groups
	if g.Transposed {
		return g.InChannels * g.InH * g.InW * (g.OutChannels / g.Groups) * g.KernelSize[0] * g.KernelSize[1]
	}
	return g.OutChannels * g.OutH * g.OutW * cin * g.KernelSize[0] * g.KernelSize[1]
}

// PaddedH is the height of the padded input grid the kernel slides over
// (for ConvTranspose2d: the zero-inserted, padded grid of the equivalent
// direct convolution, see Trace).
func (g *Geometry) PaddedH() int {
	if g.Transposed {
		return g.OutH + g.Dilation[0]*(g.KernelSize[0]-1)
	}
	return g.InH + g.PadTop + g.PadBottom
}

// PaddedW is the width counterpart of PaddedH.
func (g *Geometry) PaddedW() int {
	if g.Transposed {
		return g.OutW + g.Dilation[1]*(g.KernelSize[1]-1)
	}
	return g.InW + g.PadLeft + g.PadRight
}

// Error is a configuration PyTorch would reject (or convlab cannot run),
// with a message written for a student. Param names the offending
// parameter in PyTorch's spelling ("kernel_size", "padding", ...).
//
// Code is stable (one of Codes, e.g. "kernel_too_large"): message
// catalogues key their translations on it, and clients may branch on it.
// Args are the message's arguments by name, in the order Msg uses them, so
// a translation can put them where its grammar wants. Msg is the English
// text.
type Error struct {
	Code  string
	Param string
	Msg   string
	Args  []Arg
}

// Arg is one named argument of an Error. Text is Value as Msg writes it
// (a string quoted where Msg quotes it).
type Arg struct {
	Name  string
	Value any // int or string
	Text  string
}

func (e *Error) Error() string { return e.Msg }

// Codes lists every Error.Code the engine makes. Each has a message in the
// app's catalogues ("conv.engine.<code>"); a new refusal adds its code here.
var Codes = []string{
	"input_too_small", "input_too_large", "output_too_large", "output_empty_transposed",
	"padding_word_transposed", "same_needs_stride_1", "crop_leaves_nothing",
	"kernel_too_large", "dilated_kernel_too_large", "reflect_padding_too_large", "circular_padding_too_large",
	"in_channels_range", "out_channels_range", "groups_not_positive",
	"in_channels_not_divisible", "out_channels_not_divisible",
	"negative_padding_zeros", "param_negative", "param_below_1", "param_too_large",
	"padding_mode_case", "padding_mode_unknown", "padding_case", "padding_word_unknown",
	"transposed_padding_mode", "output_padding_too_large", "output_padding_not_transposed",
	"pool_kernel_range", "pool_stride_range", "pool_padding_negative", "pool_padding_over_half",
	"pool_input_empty", "pool_kernel_too_large",
	"pool_dilation_range", "pool_avg_dilation", "pool_dilated_kernel_too_large",
}

var knownCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range Codes {
		m[c] = true
	}
	return m
}()

// arg names one argument of an error message.
func arg(name string, v any) Arg { return Arg{Name: name, Value: v} }

// errf makes an *Error. format's verbs take args' values in order; an
// unknown code is a programmer error.
func errf(code, param, format string, args ...Arg) error {
	if !knownCodes[code] {
		panic("conv: error code " + code + " is not in Codes")
	}
	verbs := formatVerbs(format)
	if len(verbs) != len(args) {
		panic("conv: error " + code + ": the format's verbs and the arguments differ in number")
	}
	vals := make([]any, len(args))
	for i := range args {
		vals[i] = args[i].Value
		args[i].Text = fmt.Sprintf(verbs[i], args[i].Value)
	}
	return &Error{Code: code, Param: param, Msg: fmt.Sprintf(format, vals...), Args: args}
}

// formatVerbs lists the verbs of a format string in order ("%d", "%q", ...).
func formatVerbs(f string) []string {
	var out []string
	for i := 0; i+1 < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if f[i+1] != '%' {
			out = append(out, f[i:i+2])
		}
		i++
	}
	return out
}

func or1(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// Normalize returns s with defaults filled in (stride, dilation, groups 1;
// padding mode zeros). It does not validate.
func (s Spec) Normalize() Spec {
	for i := range 2 {
		s.Stride[i] = or1(s.Stride[i])
		s.Dilation[i] = or1(s.Dilation[i])
	}
	s.Groups = or1(s.Groups)
	if s.PaddingMode == "" {
		s.PaddingMode = Zeros
	}
	return s
}

// Resolve checks s against an input of inH × inW exactly as PyTorch would
// and computes the output size. The error, if any, is an *Error.
func (s Spec) Resolve(inH, inW int) (*Geometry, error) {
	s = s.Normalize()
	if err := s.check(); err != nil {
		return nil, err
	}
	if inH < 1 || inW < 1 {
		return nil, errf("input_too_small", "input", "the input must be at least 1×1, got %d×%d", arg("h", inH), arg("w", inW))
	}
	if inH > MaxDim || inW > MaxDim {
		return nil, errf("input_too_large", "input", "the input %d×%d is too large (at most %d per side)", arg("h", inH), arg("w", inW), arg("max", MaxDim))
	}
	g := &Geometry{Spec: s, InH: inH, InW: inW}
	kh, kw := s.KernelSize[0], s.KernelSize[1]
	dh, dw := s.Dilation[0], s.Dilation[1]
	ekh, ekw := dh*(kh-1)+1, dw*(kw-1)+1 // dilated ("effective") kernel

	if s.Transposed {
		if s.PaddingStr != "" {
			return nil, errf("padding_word_transposed", "padding", "padding=%q is only for Conv2d; ConvTranspose2d takes numbers", arg("padding", s.PaddingStr))
		}
		g.PadTop, g.PadBottom = s.Padding[0], s.Padding[0]
		g.PadLeft, g.PadRight = s.Padding[1], s.Padding[1]
		g.OutH = (inH-1)*s.Stride[0] - 2*s.Padding[0] + ekh - 1 + s.OutputPadding[0] + 1
		g.OutW = (inW-1)*s.Stride[1] - 2*s.Padding[1] + ekw - 1 + s.OutputPadding[1] + 1
		if g.OutH < 1 || g.OutW < 1 {
			return nil, errf("output_empty_transposed", "padding",
				"the output would be %d×%d: padding %d×%d crops away everything the transposed convolution makes from a %d×%d input",
				arg("out_h", g.OutH), arg("out_w", g.OutW), arg("pad_h", s.Padding[0]), arg("pad_w", s.Padding[1]), arg("in_h", inH), arg("in_w", inW))
		}
		if g.OutH > MaxDim || g.OutW > MaxDim {
			return nil, errf("output_too_large", "stride", "the output would be %d×%d, too large (at most %d per side)", arg("out_h", g.OutH), arg("out_w", g.OutW), arg("max", MaxDim))
		}
		return g, nil
	}

	switch s.PaddingStr {
	case "":
		g.PadTop, g.PadBottom = s.Padding[0], s.Padding[0]
		g.PadLeft, g.PadRight = s.Padding[1], s.Padding[1]
	case "valid":
		s.Padding = [2]int{}
		g.Spec.Padding = s.Padding
	case "same":
		if s.Stride != [2]int{1, 1} {
			return nil, errf("same_needs_stride_1", "padding", "padding=\"same\" needs stride 1 (PyTorch does not support it for strided convolutions), got stride %d×%d",
				arg("stride_h", s.Stride[0]), arg("stride_w", s.Stride[1]))
		}
		th, tw := ekh-1, ekw-1
		g.PadTop, g.PadBottom = th/2, th-th/2
		g.PadLeft, g.PadRight = tw/2, tw-tw/2
	}
	if s.PaddingMode != Zeros {
		if ph, pw := inH+g.PadTop+g.PadBottom, inW+g.PadLeft+g.PadRight; ph < 1 || pw < 1 {
			return nil, errf("crop_leaves_nothing", "padding", "negative padding %d×%d (padding_mode=%q) crops %d rows and %d columns off each side, which leaves nothing of the %d×%d input",
				arg("pad_h", s.Padding[0]), arg("pad_w", s.Padding[1]), arg("mode", string(s.PaddingMode)),
				arg("rows", max(-s.Padding[0], 0)), arg("cols", max(-s.Padding[1], 0)), arg("in_h", inH), arg("in_w", inW))
		}
		if err := checkModePadding(s.PaddingMode, inH, g.PadTop, g.PadBottom, "height"); err != nil {
			return nil, err
		}
		if err := checkModePadding(s.PaddingMode, inW, g.PadLeft, g.PadRight, "width"); err != nil {
			return nil, err
		}
	}
	ph, pw := inH+g.PadTop+g.PadBottom, inW+g.PadLeft+g.PadRight
	if ekh > ph || ekw > pw {
		args := []Arg{arg("k_h", ekh), arg("k_w", ekw), arg("padded_h", ph), arg("padded_w", pw)}
		if dh > 1 || dw > 1 {
			return nil, errf("dilated_kernel_too_large", "kernel_size", "kernel (dilated) %d×%d is larger than the padded input %d×%d", args...)
		}
		return nil, errf("kernel_too_large", "kernel_size", "kernel %d×%d is larger than the padded input %d×%d", args...)
	}
	g.OutH = (ph-ekh)/s.Stride[0] + 1
	g.OutW = (pw-ekw)/s.Stride[1] + 1
	return g, nil
}

func checkModePadding(m PaddingMode, size, before, after int, dim string) error {
	switch m {
	case Reflect:
		if before >= size || after >= size {
			return errf("reflect_padding_too_large", "padding", "padding_mode=\"reflect\" needs padding smaller than the input: padding %d on an input %s of %d",
				arg("padding", max(before, after)), arg("dim", dim), arg("size", size))
		}
	case Circular:
		if before > size || after > size {
			return errf("circular_padding_too_large", "padding", "padding_mode=\"circular\" can wrap around at most once: padding %d on an input %s of %d",
				arg("padding", max(before, after)), arg("dim", dim), arg("size", size))
		}
	}
	return nil
}

// check validates what does not depend on the input size.
func (s Spec) check() error {
	if s.InChannels < 1 || s.InChannels > MaxChannels {
		return errf("in_channels_range", "in_channels", "in_channels must be between 1 and %d, got %d", arg("max", MaxChannels), arg("got", s.InChannels))
	}
	if s.OutChannels < 1 || s.OutChannels > MaxChannels {
		return errf("out_channels_range", "out_channels", "out_channels must be between 1 and %d, got %d", arg("max", MaxChannels), arg("got", s.OutChannels))
	}
	if s.Groups < 1 {
		return errf("groups_not_positive", "groups", "groups must be a positive number, got %d", arg("groups", s.Groups))
	}
	if s.InChannels%s.Groups != 0 {
		return errf("in_channels_not_divisible", "groups", "in_channels (%d) must be divisible by groups (%d)", arg("in_channels", s.InChannels), arg("groups", s.Groups))
	}
	if s.OutChannels%s.Groups != 0 {
		return errf("out_channels_not_divisible", "groups", "out_channels (%d) must be divisible by groups (%d)", arg("out_channels", s.OutChannels), arg("groups", s.Groups))
	}
	type pair struct {
		name string
		v    [2]int
		min  int
	}
	// PyTorch takes negative padding (cropping) only where F.pad does it:
	// Conv2d with a padding_mode other than "zeros".
	minPad := 0
	if !s.Transposed && s.PaddingStr == "" && s.PaddingMode != Zeros && s.PaddingMode != "" {
		minPad = -MaxDim
	}
	for _, p := range []pair{{"kernel_size", s.KernelSize, 1}, {"stride", s.Stride, 1}, {"dilation", s.Dilation, 1}, {"padding", s.Padding, minPad}, {"output_padding", s.OutputPadding, 0}} {
		for _, v := range p.v {
			if v < p.min {
				switch {
				case p.name == "padding" && !s.Transposed:
					return errf("negative_padding_zeros", p.name, "padding cannot be negative with padding_mode=\"zeros\", got %d×%d (only reflect, replicate and circular padding may be negative: then it crops the input)", arg("h", p.v[0]), arg("w", p.v[1]))
				case p.min == 0:
					return errf("param_negative", p.name, "%s cannot be negative, got %d×%d", arg("param", p.name), arg("h", p.v[0]), arg("w", p.v[1]))
				}
				return errf("param_below_1", p.name, "%s must be at least 1, got %d×%d", arg("param", p.name), arg("h", p.v[0]), arg("w", p.v[1]))
			}
			if v > MaxDim || v < -MaxDim {
				return errf("param_too_large", p.name, "%s %d×%d is too large (at most %d)", arg("param", p.name), arg("h", p.v[0]), arg("w", p.v[1]), arg("max", MaxDim))
			}
		}
	}
	switch s.PaddingMode {
	case Zeros, Reflect, Replicate, Circular:
	default:
		if l := PaddingMode(strings.ToLower(string(s.PaddingMode))); l == Zeros || l == Reflect || l == Replicate || l == Circular {
			return errf("padding_mode_case", "padding_mode", "padding_mode must be written %q in lower case, as PyTorch spells it, got %q", arg("want", string(l)), arg("got", string(s.PaddingMode)))
		}
		return errf("padding_mode_unknown", "padding_mode", "padding_mode must be zeros, reflect, replicate or circular, got %q", arg("got", string(s.PaddingMode)))
	}
	switch s.PaddingStr {
	case "", "valid", "same":
	default:
		if l := strings.ToLower(s.PaddingStr); l == "valid" || l == "same" {
			return errf("padding_case", "padding", "padding must be written %q in lower case, as PyTorch spells it, got %q", arg("want", l), arg("got", s.PaddingStr))
		}
		return errf("padding_word_unknown", "padding", "padding must be numbers, \"valid\" or \"same\", got %q", arg("got", s.PaddingStr))
	}
	if s.Transposed {
		if s.PaddingMode != Zeros {
			return errf("transposed_padding_mode", "padding_mode", "ConvTranspose2d only supports padding_mode=\"zeros\", got %q", arg("got", string(s.PaddingMode)))
		}
		for i := range 2 {
			if s.OutputPadding[i] >= s.Stride[i] && s.OutputPadding[i] >= s.Dilation[i] {
				return errf("output_padding_too_large", "output_padding",
					"output_padding must be smaller than either stride or dilation: output_padding %d×%d, stride %d×%d, dilation %d×%d",
					arg("op_h", s.OutputPadding[0]), arg("op_w", s.OutputPadding[1]), arg("stride_h", s.Stride[0]), arg("stride_w", s.Stride[1]),
					arg("dilation_h", s.Dilation[0]), arg("dilation_w", s.Dilation[1]))
			}
		}
	} else if s.OutputPadding != [2]int{} {
		return errf("output_padding_not_transposed", "output_padding", "output_padding only applies to transposed convolutions")
	}
	return nil
}

// SourceIndex maps a coordinate of the padded input (0 ≤ i < before+size+after)
// to the input cell it shows. For a real cell it returns (i-before, false).
// For a padding cell it returns the cell a reflect, replicate or circular
// padding copies, or -1 for zeros; pad is true.
func SourceIndex(m PaddingMode, i, before, size int) (src int, pad bool) {
	p := i - before
	if p >= 0 && p < size {
		return p, false
	}
	switch m {
	case Reflect:
		if p < 0 {
			return -p, true
		}
		return 2*(size-1) - p, true
	case Replicate:
		if p < 0 {
			return 0, true
		}
		return size - 1, true
	case Circular:
		return ((p % size) + size) % size, true
	}
	return -1, true
}
