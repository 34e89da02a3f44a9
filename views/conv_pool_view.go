package views

// ConvPoolView is the view model of the pooling visualizer (/conv/pool),
// filled by internal/convview.BuildPool from the engine's pooling trace.
type ConvPoolView struct {
	Error   string // why this configuration cannot run ("" when it can)
	Form    ConvPoolForm
	Presets []ConvOption
	Ops     []ConvOption

	OK        bool
	StepIndex string // "1 / 9"
	PrevURL   string
	NextURL   string
	FirstStep bool
	LastStep  bool
	Input     [][]ConvPoolCell // the input with its padding (and ceil_mode's extra cells)
	Output    [][]ConvPoolCell
	Where     string   // "Output row 1, column 1"
	Values    []string // the window's values, in order
	Equation  string   // "max(3, 3, 2, …) = 3" / "(3 + 3 + …) / 9 = 1.67"
	Value     string
	Note      string // what the operation does with the window
	FormulaH  string
	FormulaW  string
	PyTorch   string
	OutShape  string
}

// ConvPoolForm is the settings form.
type ConvPoolForm struct {
	Preset, Op, Input, Kernel, Stride, Padding, Dilation string
	CeilMode, CountIncludePad                            bool
}

// ConvPoolCell is one cell of a grid.
type ConvPoolCell struct {
	Text  string
	Class string // cell real|pad|outside [win] [tap] [winner] / out [done] [current]
	URL   string // output cells: the step that computes them
	Label string
}
