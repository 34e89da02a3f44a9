package views

import (
	"slices"
	"strings"

	"github.com/a-h/templ"
)

// ConvView is the view model of the convolution visualizer (/conv).
// internal/convview.Build fills it from the engine; every number in it is
// already formatted, every sentence already translated. The same
// components render the first paint (Conv) and the stage after an edit
// (ConvFragment).
type ConvView struct {
	Error      string // why this configuration cannot run ("" when it can)
	ErrorParam string // the parameter the error is about (PyTorch's name)

	Form    ConvForm
	Presets []ConvOption
	Modes   []ConvOption
	Pads    []ConvOption // padding kinds: number, same, valid
	Kernels []ConvOption // named kernels
	// NextExample: on a preset of the lesson's sequence, the next one
	// (Value is its /conv URL); empty otherwise.
	NextExample ConvOption

	OK         bool   // the configuration ran: everything below is filled
	Op         string // the operation (convstate.Op): "conv", "conv_transpose"
	Query      string // the state's /conv query without the step (for the script)
	OutSize    string // "3×3"
	StepIndex  string // "1 / 9"
	Step       int    // 1-based
	StepCount  int
	Transposed bool
	Wide       bool   // large grids: inputs and outputs stacked, not side by side
	PrevURL    string // the same page one step back / ahead (works without script)
	NextURL    string

	Channels []ConvChannel // one per input channel (CS231n view)
	Outputs  []ConvGrid    // one per filter (output channel)
	Images   []ConvImage   // input/output drawn as images (large grids)

	Detail       ConvDetail // the current step, written out
	Narration    ConvNarration
	ChannelNames []string // "channel 1", ... (group labels of the step's products)

	FormulaH, FormulaW string // the output-size formula with the numbers
	Uncovered          []string
	PyTorch            string // nn.Conv2d(...)
	OutShape           string // torch.Size([1, 1, 3, 3])
	Params             string // "9 (9 weights + 0 bias)"
	MACs               int

	Data any // for templ.JSONScript("conv-data", ...): state, trace, grid, messages

	Classroom ClassroomView // lead / follow / quiz / shortcuts (classroom.templ)
}

// ConvForm holds the controls' current values, as typed.
type ConvForm struct {
	Input, Kernel, Stride, Padding, Dilation, OutputPadding string
	PadKind                                                 string // "num" | "same" | "valid"
	Mode                                                    string
	Channels, Filters                                       int
	Bias, Transposed                                        bool
	Preset                                                  string
}

// ConvOption is one <option>.
type ConvOption struct {
	Value, Label string
	Selected     bool
}

// ConvChannel is one input channel: the padded grid it is read from and
// the kernel slice of the current filter that multiplies it.
type ConvChannel struct {
	Label  string
	Grid   ConvGrid
	Kernel ConvGrid
	Sum    string // this channel's share of the current step's sum
}

// ConvGrid is a table of cells.
type ConvGrid struct {
	ID      string // DOM id
	Label   string // aria-label
	Caption string // shown above the grid ("" for none)
	Class   string // extra classes: "dense", "tiny"
	Rows    [][]ConvCell
}

// Heatable reports whether the grid is large enough ("tiny" cells: the
// 28×28 digit) to be drawn as a heat map on a projector (static/js/fit.js):
// then each cell carries its number in data-v too, shown on a hovered or
// focused cell while the cells themselves show only their shade.
func (g ConvGrid) Heatable() bool {
	return slices.Contains(strings.Fields(g.Class), "tiny")
}

// ConvCell is one table cell.
type ConvCell struct {
	Text  string
	Class string
	Attrs templ.Attributes
}

// ConvImage draws a grid of numbers as an SVG picture (attributes only, no
// inline styles, so CSP allows it).
type ConvImage struct {
	ID, Label string
	W, H      int
	Pixels    []ConvPixel
}

// ConvPixel is one rect of a ConvImage.
type ConvPixel struct {
	X, Y int
	Fill string
}

// ConvDetail is the current step written out.
type ConvDetail struct {
	Where    string          // "Output row 1, column 1 (filter 1)"
	Groups   []ConvTermGroup // the products, one group per input channel
	Bias     string          // "" without bias
	Sum      string
	Equation string // "1×1 + 2×0 + … = 8"
}

// ConvTermGroup is the products of one input channel and their sum.
type ConvTermGroup struct {
	Label string // "channel 1" ("" with a single channel)
	Terms []ConvTerm
	Sum   string
}

// ConvTerm is one x·w product.
type ConvTerm struct {
	X, W, Product string
	Class         string // the grid cell's kind: real, pad, copy, inserted
	Tap           int    // its index in the step's taps
}

// ConvNarration is the step said in words (the aria-live region):
// "<Where>: <Equation>".
type ConvNarration struct {
	Where, Equation string
}
