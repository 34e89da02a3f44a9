package convstate

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
)

func parse(t *testing.T, q string) (State, error) {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(v)
}

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		in   string
		h, w int
		ok   bool
	}{
		{"3", 3, 3, true},
		{" 3x5 ", 3, 5, true},
		{"3×5", 3, 5, true},
		{"3X5", 3, 5, true},
		{"3*5", 3, 5, true},
		{"3,5", 3, 5, true},
		{"3 x 5", 3, 5, true},
		{"0", 0, 0, true},
		{"", 0, 0, false},
		{"x", 0, 0, false},
		{"3x", 0, 0, false},
		{"3x5x7", 0, 0, false},
		{"-1", -1, -1, true},
		{"3x-1", 3, -1, true},
		{"1.5", 0, 0, false},
		{"99999999999999999999", 0, 0, false},
		{strings.Repeat("1", 40), 0, 0, false},
	} {
		h, w, ok := ParsePair(tc.in)
		if h != tc.h || w != tc.w || ok != tc.ok {
			t.Errorf("ParsePair(%q) = %d, %d, %v; want %d, %d, %v", tc.in, h, w, ok, tc.h, tc.w, tc.ok)
		}
	}
}

// Parse: a bare query is the landing preset; presets and overrides; the
// padding kinds of the form; every refusal names its parameter and key.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		q     string
		check func(s State) bool
	}{
		{"", func(s State) bool { return s.Preset == Landing && s.XSet && s.InH == 4 }},
		{"preset=stride", func(s State) bool { return s.Preset == "stride" && s.SH == 2 && s.XSet && s.WSet }},
		{"preset=stride&step=3", func(s State) bool { return s.Preset == "stride" && s.Step == 3 }},
		// Overriding the configuration forgets the name; values that still
		// fit (the input) stay, the others are the default fill.
		{"preset=stride&kernel=2", func(s State) bool {
			p, _ := PresetByName("stride")
			ps := p.State()
			return s.Preset == "" && s.KH == 2 && s.XSet && slices.Equal(s.X, ps.X) && !s.WSet && len(s.W) == 4
		}},
		{"input=6x9&kernel=3x2", func(s State) bool {
			return s.InH == 6 && s.InW == 9 && s.KH == 3 && s.KW == 2 && len(s.X) == 54 && !s.XSet && s.Preset == ""
		}},
		{"padding=same", func(s State) bool { return s.PadStr == "same" && s.PadH == 0 }},
		{"padkind=valid&padding=3", func(s State) bool { return s.PadStr == "valid" && s.PadH == 0 }},
		{"padkind=num&padding=2x1", func(s State) bool { return s.PadStr == "" && s.PadH == 2 && s.PadW == 1 }},
		{"mode=Reflect&padding=1", func(s State) bool { return s.Mode == "reflect" }},
		{"bias=on&filters=3", func(s State) bool { return s.Bias && len(s.B) == 3 && s.B[1] == -1 }},
		{"transposed=1&output_padding=1&stride=2", func(s State) bool { return s.Transposed && s.OPH == 1 && s.Op() == OpConvTranspose }},
		{"output_padding=1", func(s State) bool { return !s.Transposed && s.OPH == 0 }}, // only for transposed
		{"input=2&x=1,−2,3.5,4", func(s State) bool { return s.XSet && slices.Equal(s.X, []float32{1, -2, 3.5, 4}) }},
		{"step=999999", func(s State) bool { return s.Step == MaxStep }},
	} {
		s, err := parse(t, tc.q)
		if err != nil {
			t.Errorf("%q: %v", tc.q, err)
			continue
		}
		if !tc.check(s) {
			t.Errorf("%q: unexpected state %+v", tc.q, s)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%q: parsed state does not validate: %v", tc.q, err)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	for _, tc := range []struct{ q, param, key string }{
		{"input=abc", "input", "pair"},
		{"input=0", "input", "range"},
		{"input=33", "input", "range"},
		{"kernel=9", "kernel", "range"},
		{"stride=0", "stride", "range"},
		{"dilation=5", "dilation", "range"},
		{"padding=-1", "padding", "range"},
		{"padding=9", "padding", "range"},
		{"mode=mirror", "mode", "mode"},
		{"channels=5", "channels", "range"},
		{"filters=x", "filters", "number"},
		{"bias=maybe", "bias", "bool"},
		{"step=0", "step", "range"},
		{"preset=nope", "preset", "preset"},
		{"input=3&x=1,2", "x", "count"},
		{"input=2&x=1,2,NaN,4", "x", "value"},
		{"input=2&x=1,2,inf,4", "x", "value"},
		{"input=2&x=1,2,1e9,4", "x", "big"},
		{"input=2&kernel=3&w=1,2,3", "w", "count"},
		{"filters=2&bias=1&b=1", "b", "count"},
	} {
		_, err := parse(t, tc.q)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Param != tc.param || e.Code != "state_"+tc.key {
			t.Errorf("%q: error %v, want %s/%s", tc.q, err, tc.param, tc.key)
		}
	}
}

// The URL the page writes reads back as the same state, for every preset
// and a spread of configurations.
func TestQueryRoundTrip(t *testing.T) {
	qs := []string{
		"preset=lesson-5x5&step=3",
		"input=7&kernel=3&stride=2&padding=1",
		"input=5x6&kernel=2x3&padding=same&dilation=1x2&mode=circular&channels=2&filters=3&bias=1&b=1,2,3",
		"input=3&kernel=2&transposed=1&stride=2&output_padding=1&x=1,2,3,4,5,6,7,8,0.5",
		"input=2&x=0.1,0.2,0.30000001,-1000",
		"input=4&w=1,2,3,4,5,6,7,8,9&step=4",
	}
	for _, p := range Presets {
		qs = append(qs, "preset="+p.Name)
	}
	for _, q := range qs {
		s, err := parse(t, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		s2, err := Parse(s.Query())
		if err != nil {
			t.Fatalf("%s → %s: %v", q, s.Query().Encode(), err)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Errorf("%s: round trip changed the state\n%+v\n%+v", q, s, s2)
		}
		if u := s.URL(); !strings.HasPrefix(u, "/conv?") {
			t.Errorf("URL %q", u)
		}
	}
}

// Query leaves defaults out and names an untouched preset.
func TestQueryIsShort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"preset=lesson-5x5", "preset=lesson-5x5"},
		{"preset=lesson-5x5&step=2", "preset=lesson-5x5&step=2"},
		{"input=7&kernel=3&stride=1&padding=0&dilation=1&mode=zeros", "input=7&kernel=3"},
		{"input=7&kernel=3&stride=2&padding=1&step=3", "input=7&kernel=3&padding=1&step=3&stride=2"},
		{"input=3&bias=0&b=5", "input=3&kernel=3"}, // a bias without bias=1 is not written
	} {
		s, err := parse(t, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := s.Query().Encode(); got != tc.want {
			t.Errorf("%s: Query %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Configure([2]int{7, 7}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}, [2]int{1, 1}); got.URL() != "/conv?input=7&kernel=3&padding=1&stride=2" {
		t.Errorf("Configure: %s", got.URL())
	}
}

// Every preset is a state the visualizer can run, within the budget.
func TestPresetsResolve(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Presets {
		if seen[p.Name] || !presetName.MatchString(p.Name) {
			t.Errorf("preset name %q repeated or malformed", p.Name)
		}
		seen[p.Name] = true
		s := p.State()
		if _, err := s.Resolve(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if _, ok := PresetByName(Landing); !ok {
		t.Errorf("the landing preset %q is missing", Landing)
	}
}

func valid() State {
	s := Default()
	s.Fill()
	return s
}

// Validate is the one check: each case breaks one rule.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(s *State)
		param  string
		wantOK bool
	}{
		{"default", func(s *State) {}, "", true},
		{"input 0", func(s *State) { s.InH = 0 }, "input", false},
		{"input 33", func(s *State) { s.InW = 33; s.Fill() }, "input", false},
		{"kernel 8", func(s *State) { s.KH = 8; s.Fill() }, "kernel", false},
		{"stride 9", func(s *State) { s.SW = 9 }, "stride", false},
		{"dilation 0", func(s *State) { s.DH = 0 }, "dilation", false},
		{"padding -1", func(s *State) { s.PadW = -1 }, "padding", false},
		{"output_padding 8", func(s *State) { s.OPH = 8 }, "output_padding", false},
		{"channels 5", func(s *State) { s.Channels = 5; s.Fill() }, "channels", false},
		{"filters 0", func(s *State) { s.Filters = 0 }, "filters", false},
		{"step 0", func(s *State) { s.Step = 0 }, "step", false},
		{"mode", func(s *State) { s.Mode = "mirror" }, "mode", false},
		{"pad word", func(s *State) { s.PadStr = "full" }, "padding", false},
		{"preset", func(s *State) { s.Preset = "../../etc" }, "preset", false},
		{"x short", func(s *State) { s.X = s.X[:3] }, "x", false},
		{"w long", func(s *State) { s.W = append(s.W, 1) }, "w", false},
		{"b big", func(s *State) { s.B[0] = 5000 }, "b", false},
		{"x NaN", func(s *State) { s.X[2] = float32(nan()) }, "x", false},
	} {
		s := valid()
		tc.mod(&s)
		err := s.Validate()
		var e *apperr.Error
		if tc.wantOK != (err == nil) || (err != nil && (!errors.As(err, &e) || e.Param != tc.param)) {
			t.Errorf("%s: %v, want param %q", tc.name, err, tc.param)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }

// Resolve adds the engine's rules (a *conv.Error) and the page's budget.
func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		q      string
		engine bool
		key    string
	}{
		{"input=3&kernel=5", true, ""},
		{"input=5&kernel=3&stride=2&padding=same", true, ""},
		{"input=3&kernel=3&padding=3&mode=reflect", true, ""},
		{"input=32&kernel=7&channels=4&filters=4&padding=same", false, "too_much"},
		{"input=32&kernel=7&stride=8&transposed=1&dilation=4", false, "output_big"},
	} {
		s, err := parse(t, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		_, err = s.Resolve()
		var ce *conv.Error
		var e *apperr.Error
		switch {
		case err == nil:
			t.Errorf("%s: resolved", tc.q)
		case tc.engine && !errors.As(err, &ce), tc.engine != IsEngine(err):
			t.Errorf("%s: %v, want the engine's refusal", tc.q, err)
		case !tc.engine && (!errors.As(err, &e) || e.Code != "state_"+tc.key):
			t.Errorf("%s: %v, want %s", tc.q, err, tc.key)
		}
	}
}

func patch(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Apply: the page's edits, one table.
func TestApply(t *testing.T) {
	lesson, _ := PresetByName("lesson-5x5")
	for _, tc := range []struct {
		name  string
		from  State
		edit  Edit
		check func(s State) bool
		err   string // the *Error's key when refused
	}{
		{"step only keeps the preset", lesson.State(), Edit{Patch: patch(t, map[string]any{"step": 4})},
			func(s State) bool { return s.Step == 4 && s.Preset == "lesson-5x5" }, ""},
		{"stride forgets the preset, keeps the values", lesson.State(), Edit{Patch: patch(t, map[string]any{"sh": 2, "sw": 2})},
			func(s State) bool {
				return s.SH == 2 && s.Preset == "" && s.XSet && s.WSet && s.X[2] == 3
			}, ""},
		{"a larger input keeps the user's values where they fit", lesson.State(), Edit{Patch: patch(t, map[string]any{"in_h": 6, "in_w": 6})},
			func(s State) bool {
				return len(s.X) == 36 && s.X[0] == 1 && s.X[2] == 3 && s.X[6] == 0 && s.X[7] == 1 && s.XSet
			}, ""},
		{"a larger kernel keeps the weights where they fit", lesson.State(), Edit{Patch: patch(t, map[string]any{"kh": 4, "kw": 4})},
			func(s State) bool {
				return len(s.W) == 16 && s.WSet && slices.Equal(s.W[0:3], []float32{1, 0, 1}) && slices.Equal(s.W[4:7], []float32{0, 1, 0}) && s.W[10] == 1
			}, ""},
		{"two filters keep the first one's weights", lesson.State(), Edit{Patch: patch(t, map[string]any{"filters": 2})},
			func(s State) bool {
				return len(s.W) == 18 && s.WSet && slices.Equal(s.W[:9], []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}) && len(s.B) == 2
			}, ""},
		{"the caller's arrays win when they fit", valid(), Edit{Patch: patch(t, map[string]any{"in_h": 2, "in_w": 2, "x": []float32{1, 2, 3, 4}})},
			func(s State) bool { return slices.Equal(s.X, []float32{1, 2, 3, 4}) && s.XSet }, ""},
		{"out of bounds is refused", valid(), Edit{Patch: patch(t, map[string]any{"kh": 9})}, nil, "range"},
		{"a typed cell", lesson.State(), Edit{Cell: &CellEdit{Of: "x", Index: 0, Text: "4"}},
			func(s State) bool { return s.X[0] == 4 && s.Preset == "" && s.XSet }, ""},
		{"a typed decimal comma", valid(), Edit{Cell: &CellEdit{Of: "w", Index: 1, Text: "−0,5"}},
			func(s State) bool { return s.W[1] == -0.5 && s.WSet }, ""},
		{"a typed word", valid(), Edit{Cell: &CellEdit{Of: "x", Index: 0, Text: "four"}}, nil, "value"},
		{"a typed huge value", valid(), Edit{Cell: &CellEdit{Of: "x", Index: 0, Text: "5000"}}, nil, "big"},
		{"a cell that is not there", valid(), Edit{Cell: &CellEdit{Of: "x", Index: 25, Text: "1"}}, nil, "cell"},
		{"the form", lesson.State(), Edit{Form: "input=7&kernel=3&stride=2&padkind=num&padding=1&mode=zeros&dilation=1&channels=1&filters=1"},
			func(s State) bool {
				return s.InH == 7 && s.SH == 2 && s.PadH == 1 && s.Step == 1 && !s.Bias && s.Preset == "" && len(s.X) == 49
			}, ""},
		{"the form, padding same", valid(), Edit{Form: "input=5&kernel=3&padkind=same&channels=1&filters=1&bias=1"},
			func(s State) bool { return s.PadStr == "same" && s.Bias }, ""},
		{"the form, a bad pair", valid(), Edit{Form: "input=abc&kernel=3"}, nil, "pair"},
		{"an unchecked box is off", func() State { s := valid(); s.Bias = true; return s }(), Edit{Form: "input=5&kernel=3"},
			func(s State) bool { return !s.Bias }, ""},
		{"identity kernel", lesson.State(), Edit{Kernel: "identity"},
			func(s State) bool {
				return slices.Equal(s.W, []float32{0, 0, 0, 0, 1, 0, 0, 0, 0}) && s.WSet && s.Preset == ""
			}, ""},
		{"sobel-x makes the kernel 3×3", func() State { s, _ := Parse(url.Values{"input": {"6"}, "kernel": {"5"}}); return s }(), Edit{Kernel: "sobel-x"},
			func(s State) bool { return s.KH == 3 && slices.Equal(s.W, []float32{-1, 0, 1, -2, 0, 2, -1, 0, 1}) }, ""},
		{"blur on the second filter", func() State { s, _ := Parse(url.Values{"filters": {"2"}}); return s }(), Edit{Kernel: "blur", Filter: 1},
			func(s State) bool { return s.W[9] == float32(1)/9 && s.W[0] == 1 }, ""},
		{"unknown kernel", valid(), Edit{Kernel: "nope"}, nil, "named"},
		{"random input", valid(), Edit{Random: true},
			func(s State) bool {
				for _, v := range s.X {
					if v < 0 || v > 9 || v != float32(int(v)) {
						return false
					}
				}
				return s.XSet
			}, ""},
		{"replace: a whole state", valid(), Edit{Replace: true, Patch: patch(t, func() State { s, _ := Parse(url.Values{"preset": {"channels"}}); s.Step = 7; return s }())},
			func(s State) bool { return s.Preset == "channels" && s.Channels == 3 && s.Step == 7 }, ""},
		{"replace: arrays that do not fit are filled", valid(), Edit{Replace: true, Patch: patch(t, map[string]any{"in_h": 3, "in_w": 3, "kh": 2, "kw": 2, "sh": 1, "sw": 1, "dh": 1, "dw": 1, "mode": "zeros", "channels": 1, "filters": 1, "step": 1, "x": []float32{1}})},
			func(s State) bool { return len(s.X) == 9 && !s.XSet && len(s.W) == 4 }, ""},
		{"not JSON", valid(), Edit{Patch: json.RawMessage(`{"in_h": "five"}`)}, nil, "state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.from.clone()
			got, err := tc.from.Apply(tc.edit)
			if !reflect.DeepEqual(before, tc.from) {
				t.Error("Apply changed its receiver's values")
			}
			if tc.err != "" {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Code != "state_"+tc.err {
					t.Fatalf("error %v, want key %q", err, tc.err)
				}
				if !reflect.DeepEqual(got, tc.from) {
					t.Error("a refused edit changed the state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(got) {
				t.Errorf("state %+v", got)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the result does not validate: %v", err)
			}
		})
	}
}

// FuzzParse: any query either parses to a state that validates and
// round-trips through Query, or is refused with an *Error; never a panic.
func FuzzParse(f *testing.F) {
	for _, q := range []string{"", "preset=channels&step=5", "input=6x9&kernel=3x2", "input=2&x=1,2,3,4",
		"padding=same&mode=reflect", "transposed=1&stride=2&output_padding=1", "input=abc", "x=1e40"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		s, err := Parse(q)
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: error %T %v", raw, err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%q: parsed but %v", raw, err)
		}
		s2, err := Parse(s.Query())
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("%q: round trip via %q: %v", raw, s.Query().Encode(), err)
		}
	})
}

// The lesson-mnist preset's digit is real: MNIST test image 0, a 7 (many
// lit pixels, dark corners), scaled as torchvision's ToTensor.
func TestMNISTDigit(t *testing.T) {
	lit := 0
	for _, p := range mnistDigit {
		if p > 0 {
			lit++
		}
	}
	if mnistDigitLabel != 7 || lit < 100 || mnistDigit[0] != 0 || mnistDigit[28*28-1] != 0 {
		t.Errorf("digit label %d, %d lit pixels", mnistDigitLabel, lit)
	}
	p, _ := PresetByName("lesson-mnist")
	s := p.State()
	if s.X[7*28+7] != float32(185)/255 {
		t.Errorf("pixel (7,7) = %v, want 185/255", s.X[7*28+7])
	}
}

// FuzzApply: any edit (a JSON patch, whole or not, a form, a typed cell,
// a named kernel) either makes a valid state or is refused with an *Error
// and leaves the state as it was; never a panic (POST /conv/stage takes
// these from the network).
func FuzzApply(f *testing.F) {
	f.Add(`{"step": 4}`, false, "", "x", 0, "4", "")
	f.Add(`{"in_h": 7, "in_w": 7, "sh": 2}`, false, "", "", 0, "", "")
	f.Add(`{"in_h": 2, "in_w": 2, "kh": 1, "kw": 1, "x": [1, 2, 3, 4]}`, true, "", "", 0, "", "")
	f.Add(``, false, "input=6x9&kernel=3x2&padkind=same&bias=1", "", 0, "", "sobel-x")
	f.Add(`{"channels": 4, "filters": 4}`, false, "transposed=1&stride=2&output_padding=1", "w", 3, "−0,5", "blur")
	f.Add(`{"x": [1e39]}`, false, "input=abc", "b", -1, "NaN", "nope")
	lesson, _ := PresetByName("lesson-5x5")
	base := lesson.State()
	f.Fuzz(func(t *testing.T, patch string, replace bool, form, of string, index int, text, kernel string) {
		e := Edit{Patch: json.RawMessage(patch), Replace: replace, Form: form, Kernel: kernel}
		if of != "" {
			e.Cell = &CellEdit{Of: of, Index: index, Text: text}
		}
		if patch != "" && !json.Valid([]byte(patch)) {
			e.Patch = nil
		}
		from := base.clone()
		got, err := from.Apply(e)
		if err != nil {
			var ce *apperr.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v", err, err)
			}
			if !reflect.DeepEqual(got, base) {
				t.Fatal("a refused edit changed the state")
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("accepted an edit into an invalid state: %v", err)
		}
		if !reflect.DeepEqual(from, base) {
			t.Fatal("Apply changed its receiver")
		}
	})
}

// TestApplyChecksSizesBeforeAllocating: an edit with a huge size is refused
// before any value array is made from it (FuzzApply found
// {"in_w":22222222220} running the process out of memory; POST /conv/stage
// takes such patches from the network).
func TestApplyChecksSizesBeforeAllocating(t *testing.T) {
	lesson, _ := PresetByName("lesson-5x5")
	base := lesson.State()
	for _, patch := range []string{`{"in_w":22222222220}`, `{"in_h":100000,"in_w":100000}`, `{"channels":1000000}`, `{"filters":1000000,"kh":9}`} {
		for _, random := range []bool{false, true} {
			got, err := base.clone().Apply(Edit{Patch: json.RawMessage(patch), Random: random})
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Errorf("%s (random %v): %v, want a refusal", patch, random, err)
			}
			if got.InW != base.InW || len(got.X) != len(base.X) {
				t.Errorf("%s: the state changed on a refusal", patch)
			}
		}
	}
}
