package convstate

import (
	"errors"
	"github.com/convlab/convlab/internal/apperr"
	"net/url"
	"reflect"
	"testing"
)

// TestPoolQueryRoundTrip: every preset, and custom states, read back from
// their own URL.
func TestPoolQueryRoundTrip(t *testing.T) {
	var states []PoolState
	for _, p := range PoolPresets {
		s := p.State
		s.Preset, s.Step = p.Name, 1
		if len(s.X) != s.InH*s.InW {
			s.X = FillPoolX(s.InH, s.InW)
		}
		states = append(states, s)
	}
	for _, q := range []string{"op=avg_pool&input=6x5&kernel=3&stride=2&padding=1&count_include_pad=0&ceil_mode=1&step=4",
		"op=max_pool&input=4&kernel=2&dilation=2&x=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,-16"} {
		v, _ := url.ParseQuery(q)
		s, err := ParsePool(v)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		states = append(states, s)
	}
	for _, s := range states {
		got, err := ParsePool(s.Query())
		if err != nil {
			t.Fatalf("%s: %v", s.URL(), err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("%s reads back as %+v, want %+v", s.URL(), got, s)
		}
		if _, err := s.Resolve(); err != nil {
			t.Errorf("%s: %v", s.URL(), err)
		}
	}
}

func TestPoolParseErrors(t *testing.T) {
	for _, tc := range []struct{ q, param string }{
		{"op=min_pool", "op"}, {"preset=nope", "preset"}, {"input=33", "input"}, {"kernel=0", "kernel"},
		{"ceil_mode=maybe", "ceil_mode"}, {"input=2&x=1,2,3", "x"}, {"step=0", "step"}, {"input=3&input=4", "input"},
	} {
		v, _ := url.ParseQuery(tc.q)
		_, err := ParsePool(v)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Param != tc.param {
			t.Errorf("%s: %v, want an error about %s", tc.q, err, tc.param)
		}
	}
	// The engine's rules come from conv.PoolSpec.
	v, _ := url.ParseQuery("op=avg_pool&dilation=2")
	s, err := ParsePool(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(); err == nil {
		t.Error("average pooling with dilation was accepted")
	}
}
