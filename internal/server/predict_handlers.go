package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"

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

// liveModel is what "model": "live" needs from the training run: the
// network being trained, as an independent copy, or nil when no run has
// started. internal/live's *Manager implements it (LiveNet).
type liveModel interface{ LiveNet() *mnist.Net }

// liveOf returns the app's training run for "model": "live", or nil when
// there is none. The train/draw helper sets it (e.g. to return a.train).
var liveOf = func(a *app) liveModel { return nil }

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
}

// apiErr is a 4xx answer with a message for the student.
type apiErr struct {
	status int
	msg    string
}

func (e *apiErr) Error() string { return e.msg }

func badRequest(format string, a ...any) *apiErr {
	return &apiErr{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func (a *app) predictAPI(c echo.Context) error {
	var req predictRequest
	if err := decodeStrict(c.Request().Body, &req); err != nil {
		return err // *echo.HTTPError, worded by jsonError
	}
	net, which, err := a.predictModel(req.Model)
	if err == nil {
		var resp *predictResponse
		resp, err = predict(net, &req)
		if err == nil {
			resp.Model = which
			return c.JSON(http.StatusOK, resp)
		}
	}
	var ae *apiErr
	if errors.As(err, &ae) {
		return apiError(c, ae.status, ae.msg)
	}
	return err
}

// decodeStrict reads one JSON object, refusing unknown fields (a typo
// like "img" gets an answer that names it).
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if msg, ok := unknownField(err); ok {
			return echo.NewHTTPError(http.StatusBadRequest, msg)
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if isTooLarge(err) {
			return jsonError(err)
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the body must hold one JSON object, with nothing after it")
	}
	return nil
}

func unknownField(err error) (string, bool) {
	const p = "json: unknown field "
	if s := err.Error(); len(s) > len(p) && s[:len(p)] == p {
		return "unknown field " + s[len(p):] + `: send "image", "preprocess", "width", "height" and "model"`, true
	}
	return "", false
}

// shippedModels caches the model served as "shipped": the embedded one, or
// the -model file, loaded once per path.
var shippedModels sync.Map // path → func() (*mnist.Net, error)

func (a *app) predictModel(name string) (*mnist.Net, string, error) {
	switch name {
	case "", "shipped":
		path := a.cfg.ModelPath
		if path == "" {
			if n := mnist.Shipped(); n != nil {
				return n, "shipped", nil
			}
			return nil, "", fmt.Errorf("the embedded model does not load: %w", mnist.ShippedErr())
		}
		f, _ := shippedModels.LoadOrStore(path, sync.OnceValues(func() (*mnist.Net, error) {
			return readModelFile(path)
		}))
		n, err := f.(func() (*mnist.Net, error))()
		if err != nil {
			return nil, "", &apiErr{http.StatusServiceUnavailable, fmt.Sprintf("the model file %s cannot be used: %v", path, err)}
		}
		return n, "shipped", nil
	case "live":
		if lm := liveOf(a); lm != nil {
			if n := lm.LiveNet(); n != nil {
				return n, "live", nil
			}
		}
		return nil, "", &apiErr{http.StatusConflict, "no training run yet: start one on the Train page, then ask the live model"}
	}
	return nil, "", badRequest(`"model" must be "shipped" or "live", got %q`, name)
}

// predict validates the request and runs the network.
func predict(net *mnist.Net, req *predictRequest) (*predictResponse, error) {
	w, h := req.Width, req.Height
	if w == 0 && h == 0 {
		w, h = mnist.ImageSize, mnist.ImageSize
	}
	if !req.Preprocess && (w != mnist.ImageSize || h != mnist.ImageSize) {
		return nil, badRequest(`without "preprocess": true the image must be 28x28 (784 numbers), got width %d and height %d`, w, h)
	}
	if w < 1 || h < 1 || w > maxDrawSide || h > maxDrawSide {
		return nil, badRequest(`"width" and "height" must be between 1 and %d, got %d and %d`, maxDrawSide, w, h)
	}
	if req.Image == nil {
		return nil, badRequest(`the body needs "image": a list of %d numbers between 0 and 1`, w*h)
	}
	if len(req.Image) != w*h {
		return nil, badRequest(`"image" must hold %d numbers (%dx%d), got %d`, w*h, w, h, len(req.Image))
	}
	src := make([]float32, len(req.Image))
	for i, v := range req.Image {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1 {
			return nil, badRequest(`"image"[%d] = %g: every value must be between 0 (background) and 1 (ink)`, i, v)
		}
		src[i] = float32(v)
	}
	img := src
	resp := &predictResponse{Preset: net.Preset()}
	if req.Preprocess {
		img = make([]float32, mnist.Pixels)
		if err := mnist.Preprocess(img, src, w, h); err != nil {
			return nil, badRequest("%v", err)
		}
		resp.Input = img
	}
	p, maps := net.PredictMaps(img)
	best := 0
	for i, v := range p {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, &apiErr{http.StatusConflict, "the model's numbers are not finite (its training diverged): reset the training run or lower the learning rate"}
		}
		if v > p[best] {
			best = i
		}
	}
	resp.Digit = best
	resp.Probabilities = p[:]
	for _, fm := range maps {
		resp.FeatureMaps = append(resp.FeatureMaps, live.QuantizeUnsigned(fm.Layer, fm.C, fm.H, fm.W, fm.Data))
	}
	return resp, nil
}
