package server

import (
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
)

// The part of POST /api/predict's answer that keeps the draw page honest
// (issue 17), kept apart from the handler:
//
//	"sure": false,                       the top probability is below SureAt
//	"top": [{"digit": 3, "p": 0.48}, {"digit": 0, "p": 0.41}],
//	with "preprocess": true also
//	"hint": "small" | "edge"             (omitted when the drawing is fine)
//	"steps": {"box": [x, y, w, h],       the ink's box in the drawing
//	          "crop": map 1×h×w,         the drawing inside the box (at most
//	                                     cropThumb pixels on a side)
//	          "fit": map 1×fh×fw,        scaled to fit 20×20
//	          "offset": [x, y]}          where fit lands in the 28×28 input
//
// The maps are quantised like the feature maps (live.QuantizeUnsigned).

// SureAt is the probability below which the draw page says it is not sure.
const SureAt = 0.8

type drawAnswer struct {
	Sure  bool       `json:"sure"`
	Top   [2]ranked  `json:"top"`
	Hint  string     `json:"hint,omitempty"`
	Steps *drawSteps `json:"steps,omitempty"`
}

type ranked struct {
	Digit int     `json:"digit"`
	P     float32 `json:"p"`
}

type drawSteps struct {
	Box    [4]int   `json:"box"`
	Crop   live.Map `json:"crop"`
	Fit    live.Map `json:"fit"`
	Offset [2]int   `json:"offset"`
}

// drawAnswerFor ranks p and, for a raw drawing (preprocess), reruns the
// preprocessing to report its steps and a hint.
func drawAnswerFor(p [mnist.Classes]float32, src []float32, w, h int, preprocess bool) drawAnswer {
	var a drawAnswer
	first, second := 0, 1
	if p[second] > p[first] {
		first, second = second, first
	}
	for i := 2; i < len(p); i++ {
		switch {
		case p[i] > p[first]:
			first, second = i, first
		case p[i] > p[second]:
			second = i
		}
	}
	a.Top = [2]ranked{{first, p[first]}, {second, p[second]}}
	a.Sure = p[first] >= SureAt
	if !preprocess {
		return a
	}
	st, err := mnist.PreprocessWithSteps(make([]float32, mnist.Pixels), src, w, h)
	if err != nil || st.Empty {
		return a
	}
	a.Hint = st.Hint()
	a.Steps = &drawSteps{
		Box:    [4]int{st.X, st.Y, st.W, st.H},
		Crop:   thumbnail(st.Crop, st.W, st.H),
		Fit:    live.QuantizeUnsigned("fit", 1, st.FitH, st.FitW, st.Fit),
		Offset: [2]int{st.OffX, st.OffY},
	}
	return a
}

// cropThumb bounds the crop's picture: a 512-pixel canvas would otherwise
// add a quarter of a megabyte to every answer.
const cropThumb = 56

// thumbnail is img (w×h) as a map of at most cropThumb×cropThumb, taking
// the nearest pixel: a picture of the crop, not a step of the arithmetic.
func thumbnail(img []float32, w, h int) live.Map {
	k := max(1, (max(w, h)+cropThumb-1)/cropThumb)
	tw, th := (w+k-1)/k, (h+k-1)/k
	out := make([]float32, tw*th)
	for y := range th {
		for x := range tw {
			out[y*tw+x] = img[(y*k)*w+x*k]
		}
	}
	return live.QuantizeUnsigned("crop", 1, th, tw, out)
}
