package server

import (
	"fmt"
	"math"
	"net/http"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
	"github.com/labstack/echo/v4"
)

// POST /api/predict: a digit image in, the network's answer out.
//
// Request:
//
//	{"image": [784 numbers in 0..1, row-major, white digit on black],
//	 "preprocess": false,
//	 "model": "shipped" | "live"}            (optional, default "shipped")
//
// With "preprocess": true the image is a raw drawing of "width" × "height"
// (each 1..512; both default to 28) that is first brought to MNIST's form
// (mnist.Preprocess: crop, fit 20×20, centre by mass).
//
// Response:
//
//	{"digit": 7, "probabilities": [10 numbers summing to 1],
//	 "input": [784 numbers]                  (only with preprocess),
//	 "feature_maps": [{"layer": "conv1", "c": 32, "h": 28, "w": 28,
//	                   "max": [per channel], "data": "<base64 bytes>"}, ...],
//	 "model": "shipped", "preset": "reference"}
//
// The feature maps (each conv layer after its ReLU) are quantised like the
// /train stream's (live.QuantizeUnsigned: per channel, 0 → 0, the
// channel's maximum → 255), which bounds the answer to a few tens of KB.

const maxDrawSide = 512

type predictRequest struct {
	Image      []float64 `json:"image"`
	Preprocess bool      `json:"preprocess"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	Model      string    `json:"model"`
}

type predictResponse struct {
	Digit         int        `json:"digit"`
	Probabilities []float32  `json:"probabilities"`
	Input         []float32  `json:"input,omitempty"`
	FeatureMaps   []live.Map `json:"feature_maps"`
	Model         string     `json:"model"`
	Preset        string     `json:"preset"`
	drawAnswer               // sure, top, hint, steps: predict_draw.go
}

func (a *app) predictAPI(c echo.Context) error {
	var req predictRequest
	if err := readJSON(c, &req); err != nil {
		return err
	}
	net, which, err := a.predictModel(req.Model)
	if err != nil {
		return err
	}
	resp, err := predict(net, &req)
	if err != nil {
		return err
	}
	resp.Model = which
	return c.JSON(http.StatusOK, resp)
}

// predictModel is the network "model" names: "shipped" is the -model file
// (loaded and checked once at startup, model_file.go) or else the embedded
// one; "live" is the training run's latest snapshot (a copy made about
// every second, and at each pause).
func (a *app) predictModel(name string) (*mnist.Net, string, error) {
	switch name {
	case "", "shipped":
		if a.model != nil {
			return a.model, "shipped", nil
		}
		if n := mnist.Shipped(); n != nil {
			return n, "shipped", nil
		}
		return nil, "", fmt.Errorf("the embedded model does not load: %w", mnist.ShippedErr())
	case "live":
		if n := a.liveNets.LiveNet(); n != nil {
			return n, "live", nil
		}
		return nil, "", apperr.New(apperr.Conflict, "predict_no_live")
	}
	return nil, "", apperr.New(apperr.Invalid, "predict_model", apperr.Q("got", name)).WithParam("model")
}

// predict validates the request and runs the network.
func predict(net *mnist.Net, req *predictRequest) (*predictResponse, error) {
	bad := func(code string, args ...apperr.Arg) *apperr.Error { return apperr.New(apperr.Invalid, code, args...) }
	w, h := req.Width, req.Height
	if w == 0 && h == 0 {
		w, h = mnist.ImageSize, mnist.ImageSize
	}
	if !req.Preprocess && (w != mnist.ImageSize || h != mnist.ImageSize) {
		return nil, bad("predict_size_raw", apperr.A("w", w), apperr.A("h", h))
	}
	if w < 1 || h < 1 || w > maxDrawSide || h > maxDrawSide {
		return nil, bad("predict_size", apperr.A("max", maxDrawSide), apperr.A("w", w), apperr.A("h", h))
	}
	if req.Image == nil {
		return nil, bad("predict_image_missing", apperr.A("n", w*h))
	}
	if len(req.Image) != w*h {
		return nil, bad("predict_image_len", apperr.A("n", w*h), apperr.A("w", w), apperr.A("h", h), apperr.A("got", len(req.Image)))
	}
	src := make([]float32, len(req.Image))
	for i, v := range req.Image {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
			return nil, bad("predict_pixel", apperr.A("i", i), apperr.A("v", fmt.Sprintf("%g", v)))
		}
		src[i] = float32(v)
	}
	img := src
	resp := &predictResponse{Preset: net.Preset()}
	if req.Preprocess {
		img = make([]float32, mnist.Pixels)
		if err := mnist.Preprocess(img, src, w, h); err != nil {
			return nil, bad("predict_preprocess").Wrap(err)
		}
		resp.Input = img
	}
	p, maps := net.PredictMaps(img)
	best := 0
	for i, v := range p {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, apperr.New(apperr.Conflict, "predict_diverged")
		}
		if v > p[best] {
			best = i
		}
	}
	resp.Digit = best
	resp.Probabilities = p[:]
	resp.drawAnswer = drawAnswerFor(p, src, w, h, req.Preprocess)
	for _, fm := range maps {
		resp.FeatureMaps = append(resp.FeatureMaps, live.QuantizeUnsigned(fm.Layer, fm.C, fm.H, fm.W, fm.Data))
	}
	return resp, nil
}
