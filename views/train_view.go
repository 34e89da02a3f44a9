package views

import "strconv"

// TrainView is the view model of the live training page (/train).
type TrainView struct {
	CanControl bool   // the viewer may start, pause and reset (presenter, or no token configured)
	State      string // "idle" | "running" | "paused"
	Net        string // the settings shown in the form
	Optimizer  string
	LR         float64
	BatchSize  int
	Augment    bool // train on randomly changed copies (rotation, scale, shift, thickness)
	MaxLR      float64
	MaxBatch   int
	Messages   map[string]string // "train." messages for train.js
}

func (v TrainView) lrValue() string    { return strconv.FormatFloat(v.LR, 'g', -1, 64) }
func (v TrainView) batchValue() string { return strconv.Itoa(v.BatchSize) }
func (v TrainView) maxLR() string      { return strconv.FormatFloat(v.MaxLR, 'g', -1, 64) }
func (v TrainView) maxBatch() string   { return strconv.Itoa(v.MaxBatch) }

// trainDigits are the rows and columns of the confusion matrix.
var trainDigits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// DrawView is the view model of the draw-a-digit page (/draw).
type DrawView struct {
	Messages map[string]string // "draw." messages for draw.js
}
