package views

import "github.com/a-h/templ"

// BackwardView is the view model of /conv/backward (issue 14): the
// backward pass of the visualizer's layer, step by step. Every number and
// sentence is formatted by the handler; backward.js only steps through
// Data.Steps.
type BackwardView struct {
	OK      bool
	Error   string
	BackURL string // /conv with the same layer
	Hidden  []KeyValue
	Grad    string // "ones" | "random"
	Seed    string
	LR      string
	Phase   string // "dw" | "dx" | "db"
	Phases  []BackwardTab
	Intro   string // what this phase computes, with the layer's numbers
	AnimURL string // dX of a Conv2d: the same transposed convolution animated ("" otherwise)
	// LossNote says where dY came from with grad=loss ("" otherwise);
	// Loss holds the form's fields then (label, layer, filter, channel).
	LossNote string
	Loss     []KeyValue
	DY       []BackwardGrid
	// The stage: the grids the phase slides over (dW: the input's padded
	// grid; dX: dY with the stride's zeros inserted and framed; db: none).
	Grids      []BackwardGrid
	StageTitle string
	Result     []BackwardGrid
	ResultName string
	Step       int
	StepCount  int
	StepIndex  string
	Where      string
	Eq         string
	Sum        string
	PrevURL    string
	NextURL    string
	Updates    []BackwardUpdate
	Bias       bool
	Data       BackwardScript
}

// KeyValue is one hidden form field.
type KeyValue struct{ Key, Value string }

// BackwardTab is one phase's link.
type BackwardTab struct {
	Label, URL string
	Active     bool
	ID         string
}

// BackwardGrid is a table of numbers.
type BackwardGrid struct {
	ID, Label string
	Rows      [][]BackwardCell
}

// BackwardCell is one number of a grid.
type BackwardCell struct {
	Text, Class string
	Attrs       templ.Attributes
}

// BackwardUpdate is one parameter's update, formatted.
type BackwardUpdate struct {
	Name, W, G                                string
	SGD                                       string // w − lr·g
	AdamM, AdamV, AdamDenom, AdamUpd, AdamNew string
}

// BackwardScript is the JSON the script reads ("backward-data").
type BackwardScript struct {
	Step     int               `json:"step"`
	Steps    []BackwardStep    `json:"steps"`
	Messages map[string]string `json:"messages"`
}

// StepText is one step of a trace as a page writes it: the forward
// visualizer's steps (convview.Step) and the backward stepper's
// (BackwardStep) share it, and the pages' scripts read these keys.
type StepText struct {
	Index string `json:"i"`     // "3 / 9"
	Where string `json:"where"` // "Output row 2, column 2"; "dW of weight (1, 2) of filter 1, channel 1"
	Eq    string `json:"eq"`    // "1×1 + 2×1 + … = 15"
	Sum   string `json:"sum"`
}

// BackwardStep is one step of the backward pass, written out.
type BackwardStep struct {
	StepText
	Narr string   `json:"narr"` // the aria-live sentence
	HL   [][3]int `json:"hl"`   // [grid, y, x] cells of the stage to highlight
}
