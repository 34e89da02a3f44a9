package server

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/explain"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// The network explorer: GET /network (the page), GET /network/cell (one
// cell's explanation as an HTML fragment), GET /network/random-miss (a
// redirect to a misclassified test digit). The URL is the state:
//
//	model   shipped (default) | live | untrained
//	preset  reference | small (untrained only; shipped is reference, live is the run's)
//	digit   MNIST test index 0..9999, or
//	px      a drawn input: 784 float32 (little-endian, base64url, 4182 characters)
//	        or 784 grey bytes (base64url, 1046 characters)
//	        (neither: MNIST test digit 0, built in)
//	layer   input | conv1 | relu1 | pool1 | conv2 | relu2 | pool2 | flatten | linear | softmax
//	c, y, x the cell (flattened layers: c only)
//	step    conv cells: the input channel shown in detail

// netState is a parsed, bounded explorer URL.
type netState struct {
	Model, Preset string
	Digit         int // −1: not a test digit
	Px            string
	img           []float32
	Layer         string
	C, Y, X       int
	Step          int
}

// netErr is a 4xx of the explorer with a catalogue key and arguments.
type netErr struct {
	status int
	key    string
	args   []any
}

func (e *netErr) Error() string { return e.key }

func netBad(key string, args ...any) *netErr { return &netErr{http.StatusBadRequest, key, args} }

const (
	netPxFloatLen = 4182 // base64url (no padding) of 784·4 bytes
	netPxByteLen  = 1046 // base64url of 784 bytes
)

var netLayers = []string{"input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "linear", "softmax"}

// parseNetState reads and bounds the explorer's query.
func parseNetState(q url.Values) (*netState, error) {
	for k, v := range q {
		if len(v) > 1 {
			return nil, netBad("network.err.repeated", k)
		}
	}
	s := &netState{Model: q.Get("model"), Preset: q.Get("preset"), Digit: -1, Layer: q.Get("layer")}
	switch s.Model {
	case "":
		s.Model = "shipped"
	case "shipped", "live", "untrained":
	default:
		return nil, netBad("network.err.model", trunc(s.Model))
	}
	switch {
	case s.Model != "untrained" && s.Preset != "":
		return nil, netBad("network.err.preset_untrained")
	case s.Model == "untrained" && s.Preset == "":
		s.Preset = "reference"
	case s.Model == "untrained" && s.Preset != "reference" && s.Preset != "small":
		return nil, netBad("network.err.preset", trunc(s.Preset))
	}
	d, px := q.Get("digit"), q.Get("px")
	if d != "" && px != "" {
		return nil, netBad("network.err.two_inputs")
	}
	if d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 9999 {
			return nil, netBad("network.err.digit", trunc(d))
		}
		s.Digit = n
	}
	if px != "" {
		img, err := decodePx(px)
		if err != nil {
			return nil, err
		}
		s.Px, s.img = px, img
	}
	if s.Layer == "" {
		for _, k := range []string{"c", "y", "x", "step"} {
			if q.Get(k) != "" {
				return nil, netBad("network.err.no_layer", k)
			}
		}
		return s, nil
	}
	ok := false
	for _, l := range netLayers {
		ok = ok || l == s.Layer
	}
	if !ok {
		return nil, netBad("network.err.layer", trunc(s.Layer), strings.Join(netLayers, ", "))
	}
	for _, f := range []struct {
		k string
		p *int
	}{{"c", &s.C}, {"y", &s.Y}, {"x", &s.X}, {"step", &s.Step}} {
		v := q.Get(f.k)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<16 {
			return nil, netBad("network.err.index", f.k, trunc(v))
		}
		*f.p = n
	}
	return s, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// decodePx reads a drawn input (see the package comment above).
func decodePx(px string) ([]float32, error) {
	if len(px) != netPxFloatLen && len(px) != netPxByteLen {
		return nil, netBad("network.err.px_len", len(px), netPxFloatLen, netPxByteLen)
	}
	b, err := base64.RawURLEncoding.DecodeString(px)
	if err != nil {
		return nil, netBad("network.err.px_b64")
	}
	img := make([]float32, mnist.Pixels)
	if len(b) == mnist.Pixels {
		set := mnist.Set{N: 1, Pix: b, Labels: []uint8{0}}
		set.ImageInto(img, 0)
		return img, nil
	}
	for i := range img {
		v := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if !(v >= 0 && v <= 1) { // NaN fails too
			return nil, netBad("network.err.px_range", i/mnist.ImageSize, i%mnist.ImageSize)
		}
		img[i] = v
	}
	return img, nil
}

// EncodePx is the px parameter of a 28×28 input (float32, exact).
func encodePx(img []float32) string {
	b := make([]byte, 4*len(img))
	for i, v := range img {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// values is the state as a query (layer/cell included when set).
func (s *netState) values(withCell bool) url.Values {
	v := url.Values{}
	if s.Model != "shipped" {
		v.Set("model", s.Model)
	}
	if s.Model == "untrained" {
		v.Set("preset", s.Preset)
	}
	if s.Digit >= 0 {
		v.Set("digit", strconv.Itoa(s.Digit))
	}
	if s.Px != "" {
		v.Set("px", s.Px)
	}
	if withCell && s.Layer != "" {
		v.Set("layer", s.Layer)
		v.Set("c", strconv.Itoa(s.C))
		v.Set("y", strconv.Itoa(s.Y))
		v.Set("x", strconv.Itoa(s.X))
		if s.Step > 0 {
			v.Set("step", strconv.Itoa(s.Step))
		}
	}
	return v
}

// cellURL is the page URL with another cell selected.
func (s *netState) cellURL(layer string, c, y, x, step int) string {
	t := *s
	t.Layer, t.C, t.Y, t.X, t.Step = layer, c, y, x, step
	return "/network?" + t.values(true).Encode()
}

// netModel is the network the state asks for, and a sentence naming it.
type netModel struct {
	net  *mnist.Net
	step int // live: the training step of the snapshot; −1 otherwise
}

var untrainedNets sync.Map // preset → func() (*mnist.Net, error)

func (a *app) netModel(s *netState) (*netModel, error) {
	switch s.Model {
	case "live":
		n, step := a.train.LiveSnapshot()
		if n == nil {
			return nil, &netErr{http.StatusConflict, "network.err.no_live", nil}
		}
		return &netModel{net: n, step: step}, nil
	case "untrained":
		f, _ := untrainedNets.LoadOrStore(s.Preset, sync.OnceValues(func() (*mnist.Net, error) {
			return mnist.NewNet(s.Preset, 1)
		}))
		n, err := f.(func() (*mnist.Net, error))()
		if err != nil {
			return nil, err
		}
		return &netModel{net: n, step: 0}, nil
	}
	n, _, err := a.predictModel("shipped")
	if err != nil {
		return nil, err
	}
	return &netModel{net: n, step: -1}, nil
}

// netInput is the input image the state asks for, and its label (−1 unknown).
func (a *app) netInput(s *netState) ([]float32, int, error) {
	if s.img != nil {
		return s.img, -1, nil
	}
	if s.Digit < 0 {
		set := mnist.Set{N: 1, Pix: mnistDigit[:], Labels: []uint8{7}}
		return set.Image(0), 7, nil
	}
	test, err := a.mnistTest()
	if err != nil {
		return nil, 0, err
	}
	if s.Digit >= test.N {
		return nil, 0, netBad("network.err.digit", strconv.Itoa(s.Digit))
	}
	return test.Image(s.Digit), int(test.Labels[s.Digit]), nil
}

func (a *app) mnistTest() (*mnist.Set, error) {
	_, test, err := a.mnistData.Data()
	if err != nil {
		var le *live.Error
		if errors.As(err, &le) {
			return nil, &netErr{le.Status, "network.err.no_data", nil}
		}
		return nil, err
	}
	return test, nil
}

// netFail turns an explorer error into a page (or fragment) in the reader's language.
func netFail(c echo.Context, err error) error {
	var ne *netErr
	if errors.As(err, &ne) {
		return echo.NewHTTPError(ne.status, i18n.T(c.Request().Context(), ne.key, ne.args...))
	}
	var ae *apiErr
	if errors.As(err, &ae) {
		return echo.NewHTTPError(ae.status, ae.msg)
	}
	var re *explain.RangeError
	if errors.As(err, &re) {
		return echo.NewHTTPError(http.StatusBadRequest, i18n.T(c.Request().Context(), "network.err.range", re.Layer, re.Param, re.Max, re.Got))
	}
	return err
}

// explore parses the state, picks the model and input, and runs the network.
func (a *app) explore(c echo.Context) (*netState, *netModel, *explain.Network, int, error) {
	s, err := parseNetState(c.QueryParams())
	if err != nil {
		return nil, nil, nil, 0, err
	}
	m, err := a.netModel(s)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	img, label, err := a.netInput(s)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	return s, m, explain.Run(m.net, img), label, nil
}

func (a *app) networkPage(c echo.Context) error {
	s, m, n, label, err := a.explore(c)
	if err != nil {
		return netFail(c, err)
	}
	ctx := c.Request().Context()
	vm := networkView(c, s, m, n, label)
	if s.Layer != "" {
		cell, err := n.Explain(s.Layer, s.C, s.Y, s.X)
		if err != nil {
			return netFail(c, err)
		}
		vm.Cell = cellView(c, s, n, cell)
	}
	p := a.page(c, i18n.T(ctx, "network.title"), "network")
	p.Scripts = []string{"/static/js/network.js"}
	p.Styles = []string{"/static/css/network.css"}
	return render(c, http.StatusOK, views.Network(p, vm))
}

// networkCell: GET /network/cell, the explanation of one cell (a fragment).
func (a *app) networkCell(c echo.Context) error {
	s, _, n, _, err := a.explore(c)
	if err == nil && s.Layer == "" {
		err = netBad("network.err.no_layer", "layer")
	}
	var cell *explain.Cell
	if err == nil {
		cell, err = n.Explain(s.Layer, s.C, s.Y, s.X)
	}
	if err != nil {
		err = netFail(c, err)
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code < 500 {
			return render(c, he.Code, views.NetworkError(fmt.Sprint(he.Message)))
		}
		return err
	}
	return render(c, http.StatusOK, views.NetworkCellView(cellView(c, s, n, cell)))
}

// networkRandomMiss: GET /network/random-miss sends to a test digit the
// chosen model gets wrong, starting the search at a random index.
func (a *app) networkRandomMiss(c echo.Context) error {
	s, err := parseNetState(c.QueryParams())
	if err != nil {
		return netFail(c, err)
	}
	m, err := a.netModel(s)
	if err != nil {
		return netFail(c, err)
	}
	test, err := a.mnistTest()
	if err != nil {
		return netFail(c, err)
	}
	start := rand.IntN(test.N)
	img := make([]float32, mnist.Pixels)
	for k := range min(test.N, 3000) {
		i := (start + k) % test.N
		test.ImageInto(img, i)
		p := m.net.Predict(img)
		best := 0
		for d := range p {
			if p[d] > p[best] {
				best = d
			}
		}
		if best != int(test.Labels[i]) {
			t := *s
			t.Digit, t.Px, t.Layer = i, "", "softmax"
			t.C, t.Y, t.X = best, 0, 0
			return c.Redirect(http.StatusSeeOther, "/network?"+t.values(true).Encode())
		}
	}
	return echo.NewHTTPError(http.StatusNotFound, i18n.T(c.Request().Context(), "network.err.no_miss"))
}
