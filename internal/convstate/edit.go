package convstate

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
)

// Fill gives X, W and B the default fill where they do not fit the
// configuration (wrong length); values that fit are kept.
func (s *State) Fill() {
	if len(s.X) != s.XLen() {
		s.FillX()
	}
	if len(s.W) != s.WLen() {
		s.FillW()
	}
	if len(s.B) != s.Filters {
		s.FillB()
	}
}

// refit gives s values that fit its configuration after a change from
// prev. A value array whose shape did not change is kept. Otherwise,
// with overlap, values the user set keep their place where it still
// exists (the rest is the default fill); without, the default fill.
func (s *State) refit(prev *State, overlap bool) {
	sameX := s.Channels == prev.Channels && s.InH == prev.InH && s.InW == prev.InW && len(prev.X) == prev.XLen()
	sameW := s.Channels == prev.Channels && s.Filters == prev.Filters && s.KH == prev.KH && s.KW == prev.KW &&
		s.Transposed == prev.Transposed && len(prev.W) == prev.WLen()
	sameB := s.Filters == prev.Filters && len(prev.B) == prev.Filters
	if !sameX {
		s.FillX()
		if overlap && prev.XSet && len(prev.X) == prev.XLen() {
			eachCommon([]int{s.Channels, s.InH, s.InW}, []int{prev.Channels, prev.InH, prev.InW}, func(i []int) {
				s.X[s.XIndex(i[0], i[1], i[2])] = prev.X[prev.XIndex(i[0], i[1], i[2])]
			})
			s.XSet = true
		}
	}
	if !sameW {
		s.FillW()
		if overlap && prev.WSet && len(prev.W) == prev.WLen() {
			eachCommon([]int{s.Filters, s.Channels, s.KH, s.KW}, []int{prev.Filters, prev.Channels, prev.KH, prev.KW}, func(i []int) {
				s.W[s.WeightIndex(i[0], i[1], i[2], i[3])] = prev.W[prev.WeightIndex(i[0], i[1], i[2], i[3])]
			})
			s.WSet = true
		}
	}
	if !sameB {
		s.FillB()
		if overlap && prev.BSet && len(prev.B) == prev.Filters {
			copy(s.B, prev.B)
			s.BSet = true
		}
	}
}

// eachCommon calls f with every index tuple that both shapes a and b
// have (the box of their smaller sizes), last dimension fastest.
func eachCommon(a, b []int, f func(i []int)) {
	i := make([]int, len(a))
	var walk func(d int)
	walk = func(d int) {
		if d == len(a) {
			f(i)
			return
		}
		for i[d] = 0; i[d] < min(a[d], b[d]); i[d]++ {
			walk(d + 1)
		}
	}
	walk(0)
}

// Edit is one change the page asks for (POST /conv/stage). At most one
// of its parts is usually set; they apply in this order.
type Edit struct {
	// Patch holds fields of the state's JSON form to change, e.g.
	// {"step": 4} or {"sh": 2, "sw": 2} (window.convlabVisualizer.setState).
	Patch json.RawMessage `json:"patch,omitempty"`
	// Replace: Patch is a whole state (the classroom follow-along).
	Replace bool `json:"replace,omitempty"`
	// Form is the settings form as the browser encodes it
	// (application/x-www-form-urlencoded: input, kernel, stride, padkind,
	// padding, mode, dilation, channels, filters, bias, transposed,
	// output_padding). An unchecked box is absent: off.
	Form string `json:"form,omitempty"`
	// Cell is a value typed into a grid cell.
	Cell *CellEdit `json:"cell,omitempty"`
	// Kernel is a named kernel (NamedKernels) for one filter.
	Kernel string `json:"kernel,omitempty"`
	Filter int    `json:"filter,omitempty"`
	// Random fills the input with whole numbers 0..9.
	Random bool `json:"random,omitempty"`
}

// CellEdit is a value typed into a cell of the input (Of "x", Index into
// X) or of a kernel ("w", into W) or a bias ("b"). The page sends the
// index the server rendered on the cell (data-i).
type CellEdit struct {
	Of    string `json:"of"`
	Index int    `json:"index"`
	Text  string `json:"text"`
}

// NamedKernels are the kernels the page offers by name, in its order.
var NamedKernels = []string{"identity", "edge", "sharpen", "blur", "sobel-x", "sobel-y"}

var fixedKernels = map[string][]float32{
	"edge":    {-1, -1, -1, -1, 8, -1, -1, -1, -1},
	"sharpen": {0, -1, 0, -1, 5, -1, 0, -1, 0},
	"sobel-x": {-1, 0, 1, -2, 0, 2, -1, 0, 1},
	"sobel-y": {-1, -2, -1, 0, 0, 0, 1, 2, 1},
}

// Apply returns the state after e, or s unchanged and the reason (an
// *apperr.Error) when the edit does not make a state the page can use. A
// change of configuration forgets the preset name and keeps the values
// the user set where they still fit. The result is valid (Validate); the
// engine's rules are Resolve's.
func (s State) Apply(e Edit) (State, error) {
	old := s
	next := s.clone()
	keys := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(e.Patch)) > 0 && !bytes.Equal(bytes.TrimSpace(e.Patch), []byte("null")) {
		if err := json.Unmarshal(e.Patch, &keys); err != nil {
			return old, errorf("state", "state")
		}
		if e.Replace {
			next = Default()
			next.X, next.W, next.B = nil, nil, nil
		}
		if err := json.Unmarshal(e.Patch, &next); err != nil {
			return old, errorf("state", "state")
		}
	}
	_, presetGiven := keys["preset"]
	if e.Form != "" {
		q, err := url.ParseQuery(e.Form)
		if err != nil {
			return old, errorf("form", "state")
		}
		for _, k := range []string{"bias", "transposed"} {
			if !q.Has(k) {
				q.Set(k, "0")
			}
		}
		q.Del("preset")
		q.Del("step")
		q.Del("x")
		q.Del("w")
		q.Del("b")
		if err := next.override(q); err != nil {
			return old, err
		}
	}
	if e.Cell != nil {
		dst := map[string]*[]float32{"x": &next.X, "w": &next.W, "b": &next.B}[e.Cell.Of]
		if dst == nil || e.Cell.Index < 0 || e.Cell.Index >= len(*dst) {
			return old, errorf(e.Cell.Of, "cell", clip(e.Cell.Of, 4))
		}
		text := strings.Replace(strings.TrimSpace(e.Cell.Text), ",", ".", 1)
		v, err := ParseValues(text, e.Cell.Of, 1)
		if err != nil {
			return old, err
		}
		*dst = slices.Clone(*dst)
		(*dst)[e.Cell.Index] = v[0]
		switch e.Cell.Of {
		case "x":
			next.XSet = true
		case "w":
			next.WSet = true
		case "b":
			next.BSet = true
		}
	}
	if e.Kernel != "" {
		if !slices.Contains(NamedKernels, e.Kernel) {
			return old, errorf("kernel", "named", clip(e.Kernel, 20), strings.Join(NamedKernels, ", "))
		}
		if _, fixed := fixedKernels[e.Kernel]; fixed {
			next.KH, next.KW = 3, 3
		}
	}
	// The sizes are checked before the value arrays are made from them.
	if err := next.validateSizes(); err != nil {
		return old, err
	}
	if e.Random {
		next.X = make([]float32, next.XLen())
		for i := range next.X {
			next.X[i] = float32(rand.IntN(10))
		}
		next.XSet = true
	}

	configChanged := !old.sameConfig(&next)
	if e.Replace {
		// A whole state: value arrays that do not fit start again from
		// the default fill; arrays that fit are set unless it says not.
		for _, v := range []struct {
			key string
			set *bool
			ok  bool
		}{{"x_set", &next.XSet, len(next.X) == next.XLen()}, {"w_set", &next.WSet, len(next.W) == next.WLen()}, {"b_set", &next.BSet, len(next.B) == next.Filters}} {
			if _, given := keys[v.key]; !given && v.ok {
				*v.set = true
			}
		}
		next.Fill()
	} else {
		if configChanged {
			// Arrays the caller gave that fit are theirs; the others are
			// refitted from the old state.
			given := next
			next.refit(&old, true)
			for _, v := range []struct {
				key      string
				src, dst *[]float32
				set      *bool
				n        int
			}{{"x", &given.X, &next.X, &next.XSet, next.XLen()}, {"w", &given.W, &next.W, &next.WSet, next.WLen()}, {"b", &given.B, &next.B, &next.BSet, next.Filters}} {
				if _, ok := keys[v.key]; ok && len(*v.src) == v.n {
					*v.dst = *v.src
					*v.set = true
				}
			}
			if e.Form != "" {
				next.Step = 1
			}
		}
		if (configChanged || !old.sameValues(&next)) && !presetGiven {
			next.Preset = ""
		}
	}
	if e.Kernel != "" {
		f := min(max(e.Filter, 0), next.Filters-1)
		fixed := fixedKernels[e.Kernel]
		next.W = slices.Clone(next.W)
		for c := range next.Channels {
			for ky := range next.KH {
				for kx := range next.KW {
					var v float32
					switch {
					case fixed != nil:
						v = fixed[ky*3+kx]
					case e.Kernel == "identity":
						if ky == next.KH/2 && kx == next.KW/2 {
							v = 1
						}
					default: // box blur
						v = 1 / float32(next.KH*next.KW)
					}
					next.W[next.WeightIndex(f, c, ky, kx)] = v
				}
			}
		}
		next.WSet = true
		next.Preset = ""
	}
	if err := next.Validate(); err != nil {
		return old, err
	}
	return next, nil
}

func (s *State) clone() State {
	c := *s
	c.X, c.W, c.B = slices.Clone(s.X), slices.Clone(s.W), slices.Clone(s.B)
	return c
}

// sameConfig reports whether s and o have the same configuration
// (everything but the values, the step and the preset name).
func (s *State) sameConfig(o *State) bool {
	return s.config() == o.config()
}

// configKey is the configuration of a state: everything but its values,
// its step and its preset name.
type configKey struct {
	in, k, st, d, pad, op [2]int
	padStr, mode          string
	ch, f                 int
	bias, tr              bool
}

func (s *State) config() configKey {
	return configKey{[2]int{s.InH, s.InW}, [2]int{s.KH, s.KW}, [2]int{s.SH, s.SW}, [2]int{s.DH, s.DW},
		[2]int{s.PadH, s.PadW}, [2]int{s.OPH, s.OPW}, s.PadStr, s.Mode, s.Channels, s.Filters, s.Bias, s.Transposed}
}

func (s *State) sameValues(o *State) bool {
	return slices.Equal(s.X, o.X) && slices.Equal(s.W, o.W) && slices.Equal(s.B, o.B) &&
		s.XSet == o.XSet && s.WSet == o.WSet && s.BSet == o.BSet
}
