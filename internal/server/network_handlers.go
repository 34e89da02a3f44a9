package server

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/explain"
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

// netBad is a 400 of the explorer: the catalogue entry "err.network_<code>".
func netBad(code string, args ...apperr.Arg) *apperr.Error {
	return apperr.New(apperr.Invalid, "network_"+code, args...)
}

const (
	netPxFloatLen = 4182 // base64url (no padding) of 784·4 bytes
	netPxByteLen  = 1046 // base64url of 784 bytes
)

var netLayers = []string{"input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "linear", "softmax"}

// parseNetState reads and bounds the explorer's query.
func parseNetState(q url.Values) (*netState, error) {
	for k, v := range q {
		if len(v) > 1 {
			return nil, netBad("repeated", apperr.Q("param", k))
		}
	}
	s := &netState{Model: q.Get("model"), Preset: q.Get("preset"), Digit: -1, Layer: q.Get("layer")}
	switch s.Model {
	case "":
		s.Model = "shipped"
	case "shipped", "live", "untrained":
	default:
		return nil, netBad("model", apperr.Q("got", s.Model)).WithParam("model")
	}
	switch {
	case s.Model != "untrained" && s.Preset != "":
		return nil, netBad("preset_untrained").WithParam("preset")
	case s.Model == "untrained" && s.Preset == "":
		s.Preset = "reference"
	case s.Model == "untrained" && s.Preset != "reference" && s.Preset != "small":
		return nil, netBad("preset", apperr.Q("got", s.Preset)).WithParam("preset")
	}
	d, px := q.Get("digit"), q.Get("px")
	if d != "" && px != "" {
		return nil, netBad("two_inputs")
	}
	if d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 9999 {
			return nil, netBad("digit", apperr.Q("got", d)).WithParam("digit")
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
				return nil, netBad("no_layer", apperr.A("param", k)).WithParam(k)
			}
		}
		return s, nil
	}
	ok := false
	for _, l := range netLayers {
		ok = ok || l == s.Layer
	}
	if !ok {
		return nil, netBad("layer", apperr.Q("got", s.Layer), apperr.A("layers", strings.Join(netLayers, ", "))).WithParam("layer")
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
			return nil, netBad("index", apperr.A("param", f.k), apperr.Q("got", v)).WithParam(f.k)
		}
		*f.p = n
	}
	return s, nil
}

// decodePx reads a drawn input (see the package comment above).
func decodePx(px string) ([]float32, error) {
	if len(px) != netPxFloatLen && len(px) != netPxByteLen {
		return nil, netBad("px_len", apperr.A("got", len(px)), apperr.A("floats", netPxFloatLen), apperr.A("bytes", netPxByteLen)).WithParam("px")
	}
	b, err := base64.RawURLEncoding.DecodeString(px)
	if err != nil {
		return nil, netBad("px_b64").WithParam("px")
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
			return nil, netBad("px_range", apperr.A("row", i/mnist.ImageSize), apperr.A("col", i%mnist.ImageSize)).WithParam("px")
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
		n, step := a.netLive()
		if n == nil {
			return nil, apperr.New(apperr.Conflict, "network_no_live").WithParam("model")
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
		pix, label, _ := convstate.MNISTDigit()
		set := mnist.Set{N: 1, Pix: pix[:], Labels: []uint8{uint8(label)}}
		return set.Image(0), label, nil
	}
	test, err := a.mnistTest()
	if err != nil {
		return nil, 0, err
	}
	if s.Digit >= test.N {
		return nil, 0, netBad("digit", apperr.Q("got", strconv.Itoa(s.Digit))).WithParam("digit")
	}
	return test.Image(s.Digit), int(test.Labels[s.Digit]), nil
}

func (a *app) mnistTest() (*mnist.Set, error) {
	_, test, err := a.mnistData.Data() // a missing data set is an apperr (503) that says what to run
	return test, err
}

// netFail makes an explain.RangeError a 400 in the reader's language.
func netFail(err error) error {
	var re *explain.RangeError
	if errors.As(err, &re) {
		if re.Param == "layer" {
			return netBad("layer", apperr.Q("got", re.Layer), apperr.A("layers", strings.Join(netLayers, ", "))).WithParam("layer")
		}
		return netBad("range", apperr.A("layer", re.Layer), apperr.A("param", re.Param), apperr.A("max", re.Max), apperr.A("got", re.Got)).WithParam(re.Param)
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
		return netFail(err)
	}
	ctx := c.Request().Context()
	vm := networkView(c, s, m, n, label)
	if s.Layer != "" {
		cell, err := n.Explain(s.Layer, s.C, s.Y, s.X)
		if err != nil {
			return netFail(err)
		}
		vm.Cell = cellView(c, s, m, n, cell)
		vm.Cell.Grad = cellGradient(i18n.Lang(ctx), m.net, n.Input, label, cell)
	}
	p := a.page(c, i18n.T(ctx, "network.title"), "network")
	p.Scripts = []string{"/static/js/network.js"}
	p.Styles = []string{"/static/css/network.css"}
	return render(c, http.StatusOK, views.Network(p, vm))
}

// networkCell: GET /network/cell, the explanation of one cell (a fragment).
func (a *app) networkCell(c echo.Context) error {
	s, m, n, label, err := a.explore(c)
	if err == nil && s.Layer == "" {
		err = netBad("no_layer", apperr.A("param", "layer")).WithParam("layer")
	}
	var cell *explain.Cell
	if err == nil {
		cell, err = n.Explain(s.Layer, s.C, s.Y, s.X)
	}
	if err != nil {
		err = netFail(err)
		status, body, _ := errorReply(err, i18n.Lang(c.Request().Context()))
		if status < 500 {
			return render(c, status, views.NetworkError(body.Error))
		}
		return err
	}
	v := cellView(c, s, m, n, cell)
	v.Grad = cellGradient(i18n.Lang(c.Request().Context()), m.net, n.Input, label, cell)
	return render(c, http.StatusOK, views.NetworkCellView(v))
}

// networkRandomMiss: GET /network/random-miss sends to a test digit the
// chosen model gets wrong, starting the search at a random index.
func (a *app) networkRandomMiss(c echo.Context) error {
	s, err := parseNetState(c.QueryParams())
	if err != nil {
		return netFail(err)
	}
	m, err := a.netModel(s)
	if err != nil {
		return netFail(err)
	}
	test, err := a.mnistTest()
	if err != nil {
		return netFail(err)
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
	return apperr.New(apperr.NotFound, "network_no_miss")
}
