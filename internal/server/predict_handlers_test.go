package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convlab/convlab/mnist"
)

type predictAnswer struct {
	Digit         int
	Probabilities []float64
	Input         []float64
	FeatureMaps   []struct {
		Layer   string
		C, H, W int
		Max     []float64
		Data    string
	} `json:"feature_maps"`
	Model, Preset string
	Error         string
}

// postPredict sends body to the app's handler in-process.
func postPredict(t testing.TB, h http.Handler, body string) (int, predictAnswer, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/predict", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ans predictAnswer
	raw := rec.Body.String()
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %.200s", rec.Code, err, raw)
	}
	return rec.Code, ans, raw
}

func predictApp(t testing.TB, cfg config) http.Handler {
	t.Helper()
	a, err := newApp(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a.handler()
}

// stroke draws a digit-like shape on a w×h canvas: "1" a vertical bar,
// "0" a ring, "7" a top bar with a diagonal.
func stroke(shape string, w, h int) []float64 {
	img := make([]float64, w*h)
	set := func(x, y float64) {
		r := math.Max(1, float64(min(w, h))/14) // pen radius
		for yy := int(y - r); yy <= int(y+r); yy++ {
			for xx := int(x - r); xx <= int(x+r); xx++ {
				if xx >= 0 && yy >= 0 && xx < w && yy < h && math.Hypot(float64(xx)-x, float64(yy)-y) <= r {
					img[yy*w+xx] = 1
				}
			}
		}
	}
	fw, fh := float64(w), float64(h)
	for i := range 400 {
		s := float64(i) / 399
		switch shape {
		case "1":
			set(fw/2, fh*(0.15+0.7*s))
		case "0":
			a := 2 * math.Pi * s
			set(fw/2+0.22*fw*math.Cos(a), fh/2+0.32*fh*math.Sin(a))
		case "7":
			set(fw*(0.25+0.5*s), fh*0.2)
			set(fw*(0.75-0.35*s), fh*(0.2+0.65*s))
		}
	}
	return img
}

func jsonBody(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPredictShipped(t *testing.T) {
	h := predictApp(t, defaultConfig())
	for _, tc := range []struct {
		shape      string
		w, h       int
		preprocess bool
	}{
		{"1", 28, 28, false}, {"1", 280, 280, true}, {"0", 200, 240, true}, {"7", 300, 300, true}, {"0", 512, 512, true},
	} {
		name := fmt.Sprintf("%s_%dx%d", tc.shape, tc.w, tc.h)
		req := map[string]any{"image": stroke(tc.shape, tc.w, tc.h), "preprocess": tc.preprocess}
		if tc.preprocess {
			req["width"], req["height"] = tc.w, tc.h
		}
		code, ans, raw := postPredict(t, h, jsonBody(req))
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", name, code, raw)
		}
		if want := int(tc.shape[0] - '0'); ans.Digit != want {
			t.Errorf("%s: digit %d, want %d (probabilities %.3f)", name, ans.Digit, want, ans.Probabilities)
		}
		var sum float64
		for _, p := range ans.Probabilities {
			sum += p
		}
		if len(ans.Probabilities) != 10 || math.Abs(sum-1) > 1e-4 || ans.Model != "shipped" || ans.Preset != "reference" {
			t.Errorf("%s: %d probabilities summing to %v, model %q preset %q", name, len(ans.Probabilities), sum, ans.Model, ans.Preset)
		}
		if tc.preprocess != (len(ans.Input) == mnist.Pixels) {
			t.Errorf("%s: input has %d values", name, len(ans.Input))
		}
		if len(ans.FeatureMaps) != 2 || ans.FeatureMaps[0].Layer != "conv1" || ans.FeatureMaps[0].C != 32 || ans.FeatureMaps[1].H != 14 {
			t.Fatalf("%s: feature maps %+v", name, ans.FeatureMaps)
		}
		for _, fm := range ans.FeatureMaps {
			d, err := base64.StdEncoding.DecodeString(fm.Data)
			if err != nil || len(d) != fm.C*fm.H*fm.W || len(fm.Max) != fm.C {
				t.Errorf("%s: %s: %d bytes for %dx%dx%d, %d maxima, %v", name, fm.Layer, len(d), fm.C, fm.H, fm.W, len(fm.Max), err)
			}
		}
		if len(raw) > 100<<10 {
			t.Errorf("%s: answer is %d bytes", name, len(raw))
		}
	}
}

func TestPredictRejects(t *testing.T) {
	h := predictApp(t, defaultConfig())
	img := stroke("1", 28, 28)
	with := func(i int, v string) string {
		b, _ := json.Marshal(img)
		parts := strings.Split(strings.Trim(string(b), "[]"), ",")
		parts[i] = v
		return `{"image": [` + strings.Join(parts, ",") + `]}`
	}
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"empty", ``, 400, "empty"},
		{"not json", `image=1`, 400, "malformed"},
		{"no image", `{}`, 400, `"image"`},
		{"short", `{"image": [0, 1, 0.5]}`, 400, "784"},
		{"too bright", with(17, "1.5"), 400, `"image"[17] = 1.5`},
		{"negative", with(3, "-0.25"), 400, `"image"[3] = -0.25`},
		{"overflow", with(3, "1e400"), 400, ""},
		{"string", with(3, `"x"`), 400, "image must be a number, got a string"},
		{"null array", `{"image": null}`, 400, "image is null"},
		{"unknown field", `{"img": [1]}`, 400, `unknown field "img"`},
		{"trailing", jsonBody(map[string]any{"image": img}) + ` {}`, 400, "one JSON object"},
		{"bad model", jsonBody(map[string]any{"image": img, "model": "gpt"}), 400, `"model"`},
		{"live before training", jsonBody(map[string]any{"image": img, "model": "live"}), 409, "no training run"},
		{"28x28 only without preprocess", jsonBody(map[string]any{"image": stroke("1", 20, 20), "width": 20, "height": 20}), 400, "28x28"},
		{"drawing too wide", jsonBody(map[string]any{"image": []float64{1}, "width": 600, "height": 1, "preprocess": true}), 400, "512"},
		{"zero height", jsonBody(map[string]any{"image": []float64{}, "width": 5, "height": 0, "preprocess": true}), 400, "between 1 and 512"},
		{"size mismatch", jsonBody(map[string]any{"image": stroke("1", 30, 30), "width": 30, "height": 31, "preprocess": true}), 400, "930"},
		{"huge body", `{"image": [` + strings.Repeat("0.000000001,", 200000) + `0]}`, 413, "too large"},
	} {
		code, ans, raw := postPredict(t, h, tc.body)
		if code != tc.status || ans.Error == "" || !strings.Contains(ans.Error, tc.want) {
			t.Errorf("%s: %d %.200s, want %d mentioning %q", tc.name, code, raw, tc.status, tc.want)
		}
	}
}

type fakeLive struct{ n *mnist.Net }

func (f fakeLive) LiveNet() *mnist.Net { return f.n }

func TestPredictLiveAndModelFlag(t *testing.T) {
	small, err := mnist.NewNet("small", 1)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.liveNets = fakeLive{small}
	h := a.handler()
	body := jsonBody(map[string]any{"image": stroke("7", 28, 28), "model": "live"})
	code, ans, raw := postPredict(t, h, body)
	if code != 200 || ans.Model != "live" || ans.Preset != "small" || len(ans.FeatureMaps) != 2 || ans.FeatureMaps[0].C != 8 {
		t.Fatalf("live: %d %.300s", code, raw)
	}
	want := small.Predict(toF32(stroke("7", 28, 28)))
	for i, p := range ans.Probabilities {
		if math.Abs(p-float64(want[i])) > 1e-6 {
			t.Errorf("live probability %d = %v, the net says %v", i, p, want[i])
		}
	}
	a.liveNets = fakeLive{nil} // a run was reset
	if code, _, _ := postPredict(t, h, body); code != http.StatusConflict {
		t.Errorf("live after reset: %d", code)
	}

	// -model serves another file as "shipped"; a missing one is refused at
	// startup and the shipped model answers (model_file.go).
	path := filepath.Join(t.TempDir(), "small.safetensors")
	if err := small.Save(path); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.ModelPath = path
	code, ans, raw = postPredict(t, predictApp(t, cfg), jsonBody(map[string]any{"image": stroke("1", 28, 28)}))
	if code != 200 || ans.Preset != "small" || ans.Model != "shipped" {
		t.Errorf("-model: %d %.200s", code, raw)
	}
	cfg.ModelPath = filepath.Join(t.TempDir(), "missing.safetensors")
	code, ans, _ = postPredict(t, predictApp(t, cfg), jsonBody(map[string]any{"image": stroke("1", 28, 28)}))
	if code != http.StatusOK || ans.Preset != "reference" || ans.Model != "shipped" {
		t.Errorf("missing -model: %d %q, want the shipped model", code, ans.Error)
	}
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// FuzzPredictAPI: whatever the body, the answer is 200 with a sane
// prediction or a 4xx with a message; never a 5xx or a panic.
func FuzzPredictAPI(f *testing.F) {
	f.Add([]byte(jsonBody(map[string]any{"image": stroke("1", 28, 28)})))
	f.Add([]byte(jsonBody(map[string]any{"image": stroke("0", 40, 30), "preprocess": true, "width": 40, "height": 30})))
	f.Add([]byte(`{"image": [], "preprocess": true, "width": 0, "height": 0}`))
	f.Add([]byte(`{"image": [0.5], "preprocess": true, "width": 1, "height": 1, "model": "live"}`))
	f.Add([]byte(`{"image": [1e308, -0], "width": -1}`))
	f.Add([]byte(`[1,2,3]`))
	h := predictApp(f, defaultConfig())
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/predict", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var ans predictAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("%d: not JSON: %v", rec.Code, err)
		}
		switch {
		case rec.Code == http.StatusOK:
			var sum float64
			for _, p := range ans.Probabilities {
				sum += p
			}
			if ans.Digit < 0 || ans.Digit > 9 || len(ans.Probabilities) != 10 || math.Abs(sum-1) > 1e-4 {
				t.Fatalf("bad prediction %+v", ans)
			}
		case rec.Code >= 400 && rec.Code < 500:
			if ans.Error == "" {
				t.Fatalf("%d without a message", rec.Code)
			}
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
