package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/convlab/convlab/mnist"
)

type drawAnswerJSON struct {
	Digit         int
	Probabilities []float32
	Sure          *bool
	Top           []struct {
		Digit int
		P     float32
	}
	Hint  string
	Steps *struct {
		Box    [4]int
		Offset [2]int
		Crop   struct {
			C, H, W int
			Data    string
		}
		Fit struct {
			C, H, W int
			Data    string
		}
	}
}

func TestPredictTellsUncertaintyHintsAndSteps(t *testing.T) {
	h := predictApp(t, defaultConfig())
	post := func(req map[string]any) drawAnswerJSON {
		t.Helper()
		code, _, raw := postPredict(t, h, jsonBody(req))
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, raw)
		}
		var a drawAnswerJSON
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	// A clear "1", big and centred: sure, no hint, steps that add up.
	a := post(map[string]any{"image": stroke("1", 112, 112), "preprocess": true, "width": 112, "height": 112})
	if a.Sure == nil || len(a.Top) != 2 || a.Top[0].Digit != a.Digit || a.Top[0].P != a.Probabilities[a.Digit] {
		t.Fatalf("top %+v, digit %d", a.Top, a.Digit)
	}
	for d, p := range a.Probabilities {
		if d != a.Top[0].Digit && p > a.Top[1].P {
			t.Errorf("digit %d has %v, more than the second %+v", d, p, a.Top[1])
		}
	}
	if *a.Sure != (a.Top[0].P >= SureAt) {
		t.Errorf("sure %v with top probability %v", *a.Sure, a.Top[0].P)
	}
	if a.Hint != "" || a.Steps == nil {
		t.Fatalf("hint %q, steps %v for a big centred 1", a.Hint, a.Steps)
	}
	s := a.Steps
	// The crop's picture takes every k-th pixel, k the smallest whole
	// number that brings the box to at most cropThumb.
	k := (max(s.Box[2], s.Box[3]) + cropThumb - 1) / cropThumb
	if s.Crop.C != 1 || s.Crop.W != (s.Box[2]+k-1)/k || s.Crop.H != (s.Box[3]+k-1)/k || s.Fit.H != mnist.FitSide || s.Fit.W > mnist.FitSide {
		t.Errorf("steps: box %v crop %d×%d fit %d×%d", s.Box, s.Crop.W, s.Crop.H, s.Fit.W, s.Fit.H)
	}
	for _, m := range []struct {
		name string
		n    int
		data string
	}{{"crop", s.Crop.W * s.Crop.H, s.Crop.Data}, {"fit", s.Fit.W * s.Fit.H, s.Fit.Data}} {
		if b, err := base64.StdEncoding.DecodeString(m.data); err != nil || len(b) != m.n {
			t.Errorf("%s: %d bytes (%v), want %d", m.name, len(b), err, m.n)
		}
	}
	if s.Offset[0] < 0 || s.Offset[1] < 0 || s.Offset[0]+s.Fit.W > 28 || s.Offset[1]+s.Fit.H > 28 {
		t.Errorf("offset %v puts the %d×%d digit outside 28×28", s.Offset, s.Fit.W, s.Fit.H)
	}

	// On a large canvas the crop's picture is bounded.
	big := post(map[string]any{"image": stroke("0", 512, 512), "preprocess": true, "width": 512, "height": 512})
	if c := big.Steps.Crop; max(c.W, c.H) > cropThumb || max(c.W, c.H) < cropThumb/2 || big.Steps.Box[3] < 200 {
		t.Errorf("512×512 drawing: box %v, crop picture %d×%d", big.Steps.Box, c.W, c.H)
	}

	// A tiny digit in a corner: "small"; one cut by the edge: "edge".
	tiny := make([]float64, 112*112)
	small := stroke("1", 20, 20)
	for y := range 20 {
		copy(tiny[(2+y)*112+2:], small[y*20:(y+1)*20])
	}
	if a := post(map[string]any{"image": tiny, "preprocess": true, "width": 112, "height": 112}); a.Hint != mnist.HintSmall {
		t.Errorf("tiny digit in a corner: hint %q", a.Hint)
	}
	edge := stroke("0", 112, 112)
	for y := 20; y < 90; y++ {
		edge[y*112] = 1
	}
	if a := post(map[string]any{"image": edge, "preprocess": true, "width": 112, "height": 112}); a.Hint != mnist.HintEdge {
		t.Errorf("a drawing touching the edge: hint %q", a.Hint)
	}

	// Without preprocess: the ranking, no steps or hint.
	a = post(map[string]any{"image": stroke("7", 28, 28)})
	if a.Sure == nil || len(a.Top) != 2 || a.Steps != nil || a.Hint != "" {
		t.Errorf("28×28 input: sure %v top %v steps %v hint %q", a.Sure, a.Top, a.Steps, a.Hint)
	}

	// A blank-ish scribble the model cannot be sure of: not sure, and the
	// top two are the two largest probabilities.
	noise := make([]float64, 28*28)
	for i := range noise {
		noise[i] = float64((i*37)%11) / 10
	}
	a = post(map[string]any{"image": noise})
	if a.Top[0].P < a.Top[1].P || a.Top[0].Digit == a.Top[1].Digit || *a.Sure != (a.Top[0].P >= SureAt) {
		t.Errorf("noise: top %+v sure %v", a.Top, *a.Sure)
	}
}
