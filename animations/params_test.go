package animations

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    [2]int
		wantErr string
	}{
		{"3", [2]int{3, 3}, ""},
		{" 7 ", [2]int{7, 7}, ""},
		{"3x2", [2]int{3, 2}, ""},
		{"3X2", [2]int{3, 2}, ""},
		{"3,2", [2]int{3, 2}, ""},
		{"3×2", [2]int{3, 2}, ""},
		{"0", [2]int{0, 0}, ""},
		{"", [2]int{}, "is empty"},
		{"x", [2]int{}, "not a number"},
		{"3x", [2]int{}, "not a number"},
		{"3x2x1", [2]int{}, "not a number"},
		{"-1", [2]int{}, "not a number"},
		{"1.5", [2]int{}, "not a number"},
		{"abc", [2]int{}, "not a number"},
		{"99999999999", [2]int{}, "not a number"},
		{"12345678901234567890", [2]int{}, "too long"},
	} {
		got, err := ParsePair("kernel", tc.in)
		if tc.wantErr != "" {
			var e *Error
			if !errors.As(err, &e) || e.Param != "kernel" || !strings.Contains(e.Error(), tc.wantErr) || e.Err.Code == "" {
				t.Errorf("ParsePair(%q) error = %v, want an *Error about kernel containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePair(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		q         string
		want      Params
		wantParam string // the parameter the error names; "" for success
	}{
		{"", Params{Input: sq(5), Kernel: sq(3)}, ""},
		{"input=4&kernel=3", Params{Input: sq(4), Kernel: sq(3)}, ""},
		{"input=6x5&kernel=3x2&stride=2&padding=1x0&dilation=1",
			Params{Input: [2]int{6, 5}, Kernel: [2]int{3, 2}, Stride: sq(2), Padding: [2]int{1, 0}, Dilation: sq(1)}, ""},
		{"input=3&kernel=3&stride=2&padding=1&transposed=1&output_padding=1",
			Params{Input: sq(3), Kernel: sq(3), Stride: sq(2), Padding: sq(1), OutputPadding: sq(1), Transposed: true}, ""},
		{"transposed=true&input=2", Params{Input: sq(2), Kernel: sq(3), Transposed: true}, ""},
		{"transposed=0", Params{Input: sq(5), Kernel: sq(3)}, ""},
		{"transposed=", Params{Input: sq(5), Kernel: sq(3)}, ""},
		{"transposed=maybe", Params{}, "transposed"},
		{"numbers=1&input=4", Params{Input: sq(4), Kernel: sq(3), Numbers: true}, ""},
		{"numbers=many", Params{}, "numbers"},
		{"output_padding=1", Params{}, "output_padding"},
		{"kernel=3&kernel=4", Params{}, "kernel"},
		{"stride=two", Params{}, "stride"},
		{"padding=", Params{}, "padding"},
		{"stride=0", Params{}, "stride"},
		{"dilation=2x0", Params{}, "dilation"},
	} {
		q, err := url.ParseQuery(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseQuery(q)
		if tc.wantParam != "" {
			var e *Error
			if !errors.As(err, &e) || e.Param != tc.wantParam {
				t.Errorf("ParseQuery(%q) error = %v, want one about %q", tc.q, err, tc.wantParam)
			}
			continue
		}
		if err != nil || got.Normalize() != tc.want.Normalize() {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", tc.q, got, err, tc.want)
		}
	}
}

// Query and ParseQuery round-trip, and Key does not care how a value was
// spelled.
func TestQueryRoundTrip(t *testing.T) {
	for _, c := range Classic {
		q, err := url.ParseQuery(c.Params.Query())
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParseQuery(q)
		if err != nil {
			t.Fatalf("%s: %q: %v", c.Name, c.Params.Query(), err)
		}
		if p.Key() != c.Params.Key() {
			t.Errorf("%s: round trip %q gives %s, want %s", c.Name, c.Params.Query(), p.Key(), c.Params.Key())
		}
	}
	a, _ := ParseQuery(url.Values{"input": {"5"}, "kernel": {"3x3"}})
	b, _ := ParseQuery(url.Values{"input": {"5x5"}, "kernel": {"3"}, "stride": {"1"}, "dilation": {"1x1"}, "padding": {"0"}})
	if a.Key() != b.Key() {
		t.Errorf("same animation, different keys: %s vs %s", a.Key(), b.Key())
	}
	if ETag(KindGIF, a) != ETag(KindGIF, b) {
		t.Error("same animation, different ETags")
	}
	if ETag(KindGIF, a) == ETag(KindStill, a) {
		t.Error("GIF and PNG share an ETag")
	}
	c := a
	c.Padding = sq(1)
	if ETag(KindGIF, a) == ETag(KindGIF, c) {
		t.Error("different animations share an ETag")
	}
}

func TestResolveRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Params
		param string
		msg   string
	}{
		{"zero input", Params{Input: sq(0), Kernel: sq(3)}, "input", "between 1 and 32"},
		{"huge input", Params{Input: sq(33), Kernel: sq(3)}, "input", "between 1 and 32"},
		{"huge kernel", Params{Input: sq(10), Kernel: sq(10)}, "kernel", "between 1 and 9"},
		{"kernel larger than input", Params{Input: sq(3), Kernel: sq(5)}, "kernel", "larger than the padded input"},
		{"dilated kernel larger", Params{Input: sq(5), Kernel: sq(3), Dilation: sq(3)}, "kernel", "dilated"},
		{"huge stride", Params{Input: sq(5), Kernel: sq(3), Stride: sq(9)}, "stride", "between 1 and 8"},
		{"huge padding", Params{Input: sq(5), Kernel: sq(3), Padding: sq(17)}, "padding", "between 0 and 16"},
		{"output_padding too large", Params{Input: sq(3), Kernel: sq(3), Stride: sq(2), OutputPadding: sq(2), Transposed: true}, "output_padding", "smaller than"},
		{"output_padding on a conv", Params{Input: sq(3), Kernel: sq(3), OutputPadding: sq(1)}, "output_padding", "transposed"},
		{"transposed padding crops all", Params{Input: sq(1), Kernel: sq(1), Padding: sq(1), Transposed: true}, "padding", "crops away"},
		{"too many frames", Params{Input: sq(32), Kernel: sq(3), Padding: sq(1)}, "input", "too many frames"},
		{"transposed grid too large", Params{Input: sq(32), Kernel: sq(9), Stride: sq(8), Transposed: true}, "input", "too large"},
	} {
		_, err := tc.p.Resolve()
		var e *Error
		if !errors.As(err, &e) || e.Param != tc.param || !strings.Contains(e.Error(), tc.msg) {
			t.Errorf("%s: Resolve() error = %v, want an *Error about %q containing %q", tc.name, err, tc.param, tc.msg)
			continue
		}
		if !IsUserError(err) {
			t.Errorf("%s: IsUserError = false", tc.name)
		}
		if _, err := Render(tc.p); !IsUserError(err) {
			t.Errorf("%s: Render error = %v, want the same user error", tc.name, err)
		}
	}
}

// Every classic resolves, and each _transposed animation is the transposed
// convolution that maps its convolution's output shape back to the input
// shape, with the same kernel, stride and padding.
func TestClassicTransposedInverts(t *testing.T) {
	if len(Classic) != 15 {
		t.Fatalf("%d classic animations, want 8 + 7", len(Classic))
	}
	seen := map[string]bool{}
	for _, c := range Classic {
		if seen[c.Name] {
			t.Fatalf("duplicate name %s", c.Name)
		}
		seen[c.Name] = true
		if _, err := c.Params.Resolve(); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if p, ok := Lookup(c.Name); !ok || p != c.Params {
			t.Errorf("Lookup(%q) = %+v, %v", c.Name, p, ok)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup found an unknown name")
	}
	n := 0
	for _, c := range Classic {
		base, ok := strings.CutSuffix(c.Name, "_transposed")
		if !ok {
			continue
		}
		n++
		orig, ok := Lookup(base)
		if !ok {
			t.Fatalf("%s has no convolution %s", c.Name, base)
		}
		og, err := orig.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		tp := c.Params
		if !tp.Transposed || orig.Transposed {
			t.Fatalf("%s: Transposed flags wrong", c.Name)
		}
		if tp.Input != [2]int{og.OutH, og.OutW} {
			t.Errorf("%s: input %v, want %s's output %dx%d", c.Name, tp.Input, base, og.OutH, og.OutW)
		}
		if tp.Kernel != orig.Kernel || tp.Normalize().Stride != orig.Normalize().Stride || tp.Padding != orig.Padding {
			t.Errorf("%s: kernel/stride/padding differ from %s", c.Name, base)
		}
		tg, err := tp.Resolve()
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if tg.OutH != orig.Input[0] || tg.OutW != orig.Input[1] {
			t.Errorf("%s: output %dx%d, want %s's input %v", c.Name, tg.OutH, tg.OutW, base, orig.Input)
		}
	}
	if n != 7 {
		t.Errorf("%d transposed animations, want 7", n)
	}
}

// The filled-in formulas agree with the engine, for the classics and for
// many random configurations.
func TestRelationsMatchEngine(t *testing.T) {
	ps := []Params{}
	for _, c := range Classic {
		ps = append(ps, c.Params)
	}
	r := rand.New(rand.NewPCG(4, 4))
	for len(ps) < 400 {
		p := Params{
			Input:      [2]int{1 + r.IntN(12), 1 + r.IntN(12)},
			Kernel:     [2]int{1 + r.IntN(5), 1 + r.IntN(5)},
			Stride:     [2]int{1 + r.IntN(3), 1 + r.IntN(3)},
			Padding:    [2]int{r.IntN(3), r.IntN(3)},
			Dilation:   [2]int{1 + r.IntN(3), 1 + r.IntN(3)},
			Transposed: r.IntN(2) == 1,
		}
		if p.Transposed {
			p.OutputPadding = [2]int{r.IntN(p.Stride[0]), r.IntN(p.Stride[1])}
		}
		if _, err := p.Resolve(); err == nil {
			ps = append(ps, p)
		}
	}
	for _, p := range ps {
		g, _ := p.Resolve()
		rs, err := p.Relations()
		if err != nil {
			t.Fatal(err)
		}
		outs := [2]int{g.OutH, g.OutW}
		for a, rel := range rs {
			if got := evalRelation(p, a); got != outs[a] {
				t.Errorf("%s axis %d: the formula gives %d, the engine %d", p.Key(), a, got, outs[a])
			}
			if rel.Out != outs[a] || !strings.HasSuffix(rel.Filled, "= "+strconv.Itoa(outs[a])) {
				t.Errorf("%s axis %d: %q does not end in the engine's %d", p.Key(), a, rel.Filled, outs[a])
			}
			if (p.Normalize().Dilation[a] > 1) != (rel.Dilated != "") {
				t.Errorf("%s axis %d: dilated formula %q", p.Key(), a, rel.Dilated)
			}
		}
		if len(rs) == 1 && g.OutH != g.OutW {
			t.Errorf("%s: one relation for two different axes", p.Key())
		}
	}
	// Spot checks of the wording against the guide.
	p, _ := Lookup("padding_strides")
	rs, _ := p.Relations()
	if len(rs) != 1 || rs[0].Filled != "o = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3" {
		t.Errorf("padding_strides: %+v", rs)
	}
	p, _ = Lookup("padding_strides_odd_transposed")
	rs, _ = p.Relations()
	if len(rs) != 1 || rs[0].Filled != "o′ = 2·(3 − 1) + 3 − 2·1 + 1 = 6" {
		t.Errorf("padding_strides_odd_transposed: %+v", rs)
	}
	p, _ = Lookup("dilation")
	rs, _ = p.Relations()
	if len(rs) != 1 || rs[0].Dilated != "k̂ = k + (k − 1)(d − 1) = 3 + (3 − 1)(2 − 1) = 5" || rs[0].Filled != "o = (7 + 2·0 − 5) + 1 = 3" {
		t.Errorf("dilation: %+v", rs)
	}
}

func ExampleParseQuery() {
	q, _ := url.ParseQuery("input=6&kernel=3&stride=2&padding=1")
	p, _ := ParseQuery(q)
	g, _ := p.Resolve()
	fmt.Printf("%dx%d output, %s\n", g.OutH, g.OutW, p.Query())

	q, _ = url.ParseQuery("input=6&kernel=9")
	p, _ = ParseQuery(q)
	_, err := p.Resolve()
	fmt.Println(err)
	// Output:
	// 3x3 output, input=6&kernel=3&stride=2&padding=1&dilation=1
	// kernel 9×9 is larger than the padded input 6×6
}
