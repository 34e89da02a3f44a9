package live

import (
	"encoding/base64"
	"math"
)

// States of the run.
const (
	StateIdle    = "idle"    // no run: nothing loaded, nothing trained
	StateRunning = "running" // the training goroutine is stepping
	StatePaused  = "paused"  // stopped by Pause, or after the epoch budget
)

// StepInfo is what an Engine reports after one training batch.
type StepInfo struct {
	Step            int     // batches done since the run began
	Epoch           int     // epoch of this batch, from 1
	EpochProgress   float64 // fraction of the epoch done, in [0, 1]
	Loss            float64 // this batch's mean loss
	TrainAccuracy   float64 // this batch's (or a running) accuracy in [0, 1]
	ImagesPerSecond float64
}

// Progress is the data of a `progress` event.
type Progress struct {
	Run             int     `json:"run"`
	Step            int     `json:"step"`
	Epoch           int     `json:"epoch"` // from 1
	EpochProgress   float64 `json:"epoch_progress"`
	Loss            float64 `json:"loss"`
	TrainAccuracy   float64 `json:"train_accuracy"`
	ImagesPerSecond float64 `json:"images_per_second"`
	ETASeconds      float64 `json:"eta_seconds"` // to the end of the current epoch
	State           string  `json:"state"`
	// Diverged: the loss is no longer a number (Loss then shows 0); the
	// run has paused itself with an error.
	Diverged bool `json:"diverged,omitempty"`
}

// Miss is one misclassified test digit.
type Miss struct {
	Index int    `json:"index"` // in the test set
	Label int    `json:"label"`
	Pred  int    `json:"pred"`
	Image string `json:"image"` // 28×28 uint8 (0 black .. 255 white), base64
}

// Eval is the data of an `eval` event.
type Eval struct {
	Run           int         `json:"run"`
	Step          int         `json:"step"`
	TestAccuracy  float64     `json:"test_accuracy"`
	Images        int         `json:"images"`    // how many test images were scored
	Full          bool        `json:"full"`      // the whole test set (at an epoch's end)
	Confusion     [10][10]int `json:"confusion"` // [label][prediction]
	Misclassified []Miss      `json:"misclassified"`
}

// Map is a stack of C small H×W images, quantised to bytes.
//
// Data holds C×H×W uint8 values, base64. With Signed, 128 is zero and
// 0/255 are ∓Scale (weights); otherwise 0 is zero and 255 is each
// channel's own maximum (activations after ReLU), listed in Max.
type Map struct {
	Layer  string    `json:"layer"`
	C      int       `json:"c"`
	H      int       `json:"h"`
	W      int       `json:"w"`
	Signed bool      `json:"signed"`
	Scale  float64   `json:"scale,omitempty"`
	Max    []float64 `json:"max,omitempty"`
	Data   string    `json:"data"`
}

// Maps is the data of a `maps` event.
type Maps struct {
	Run         int   `json:"run"`
	Step        int   `json:"step"`
	Digit       Map   `json:"digit"` // the fixed test digit (1×28×28)
	Index       int   `json:"index"` // its index in the test set
	Label       int   `json:"label"`
	Filters     Map   `json:"filters"`
	FeatureMaps []Map `json:"feature_maps"`
	// Augmented holds a few augmented training images (1×28×28 each) when
	// the run augments; none otherwise.
	Augmented []Map `json:"augmented,omitempty"`
}

// State is the data of a `state` event.
type State struct {
	Run    int    `json:"run"` // changes at every reset: viewers clear their charts
	State  string `json:"state"`
	Config Config `json:"config"`
	// Finished is set when the run paused itself after its epoch budget.
	Finished bool   `json:"finished"`
	Epochs   int    `json:"epochs"` // the epoch budget
	Error    string `json:"error,omitempty"`
	// Presenter is true when control needs a presenter token.
	Presenter bool `json:"presenter"`
}

// Point is one point of a chart's history.
type Point struct {
	Step int     `json:"step"`
	Y    float64 `json:"y"`
}

// History is the data of a `history` event, sent to a new viewer so that
// its charts show the run so far.
type History struct {
	Run           int     `json:"run"`
	Loss          []Point `json:"loss"`
	TrainAccuracy []Point `json:"train_accuracy"`
	TestAccuracy  []Point `json:"test_accuracy"`
}

// finite maps NaN and ±Inf to 0 so that JSON encoding never fails.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// QuantizeUnsigned encodes activations (≥ 0) per channel: 0 → 0 and each
// channel's maximum → 255. data is C×H×W.
func QuantizeUnsigned(layer string, c, h, w int, data []float32) Map {
	if len(data) != c*h*w {
		panic("live: QuantizeUnsigned: data length is not c*h*w")
	}
	out := make([]byte, len(data))
	maxes := make([]float64, c)
	n := h * w
	for ch := 0; ch < c; ch++ {
		src := data[ch*n : (ch+1)*n]
		var mx float32
		for _, v := range src {
			if v > mx && !math.IsInf(float64(v), 1) {
				mx = v
			}
		}
		maxes[ch] = float64(mx)
		if mx <= 0 {
			continue
		}
		dst := out[ch*n : (ch+1)*n]
		for i, v := range src {
			dst[i] = quant(float64(v) / float64(mx) * 255)
		}
	}
	return Map{Layer: layer, C: c, H: h, W: w, Max: maxes, Data: base64.StdEncoding.EncodeToString(out)}
}

// QuantizeSigned encodes weights around 128: v → 128 + 127·v/scale, where
// scale is the largest |v| of all channels (so filters compare fairly).
func QuantizeSigned(layer string, c, h, w int, data []float32) Map {
	if len(data) != c*h*w {
		panic("live: QuantizeSigned: data length is not c*h*w")
	}
	var scale float64
	for _, v := range data {
		a := math.Abs(float64(v))
		if a > scale && !math.IsInf(a, 0) {
			scale = a
		}
	}
	out := make([]byte, len(data))
	for i, v := range data {
		if scale == 0 {
			out[i] = 128
			continue
		}
		out[i] = quant(128 + 127*float64(v)/scale)
	}
	return Map{Layer: layer, C: c, H: h, W: w, Signed: true, Scale: scale, Data: base64.StdEncoding.EncodeToString(out)}
}

// QuantizeImage encodes a [0,1] image as bytes, base64.
func QuantizeImage(img []float32) string {
	out := make([]byte, len(img))
	for i, v := range img {
		out[i] = quant(float64(v) * 255)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func quant(v float64) byte {
	switch {
	case math.IsNaN(v) || v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v + 0.5)
}

// FilterWatcher is an Engine that records its first conv layer's update
// at every step (the MNIST engine does).
type FilterWatcher interface {
	// FilterUpdate is the last step's update; false before the first.
	FilterUpdate() (FilterUpdate, bool)
}

// FilterUpdate is the data of a `filter` event: one training step at the
// first conv layer, every number as the optimizer computed it (see
// mnist.AdamDetail and mnist.SGDDetail). A viewer picks one of the C
// filters. Each array holds C·H·W weights (filter after filter, row by
// row) and then the C biases. Events are sent at most every FilterEvery
// (and after each single step), so Step may jump by more than one.
type FilterUpdate struct {
	Run       int     `json:"run"`
	Step      int     `json:"step"`      // the step this update was (1 for the first)
	Optimizer string  `json:"optimizer"` // "adam" | "sgd"
	LR        float64 `json:"lr"`
	C         int     `json:"c"` // filters
	H         int     `json:"h"`
	W         int     `json:"w"`
	// Adam: its step t, β1, β2, ε, the bias corrections 1-β1^t and 1-β2^t,
	// and the step size lr/(1-β1^t). SGD: the momentum.
	T        int     `json:"t,omitempty"`
	Beta1    float64 `json:"beta1,omitempty"`
	Beta2    float64 `json:"beta2,omitempty"`
	Eps      float64 `json:"eps,omitempty"`
	BC1      float64 `json:"bc1,omitempty"`
	BC2      float64 `json:"bc2,omitempty"`
	StepSize float64 `json:"step_size,omitempty"`
	Momentum float64 `json:"momentum,omitempty"`

	Before []float32 `json:"before"`
	Grad   []float32 `json:"grad"`
	// Adam's first and second moments before and after this step; for
	// SGD, M is the momentum buffer (MPrev before), V and Denom are empty.
	MPrev  []float32 `json:"m_prev"`
	M      []float32 `json:"m"`
	VPrev  []float32 `json:"v_prev,omitempty"`
	V      []float32 `json:"v,omitempty"`
	Denom  []float32 `json:"denom,omitempty"` // √v/√(1-β2^t) + ε
	Update []float32 `json:"update"`          // subtracted: After = Before - Update
	After  []float32 `json:"after"`
}

// finite32 maps NaN and ±Inf to 0 in place so that JSON encoding never
// fails (a diverged run's numbers).
func finite32(s []float32) []float32 {
	for i, v := range s {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			s[i] = 0
		}
	}
	return s
}
