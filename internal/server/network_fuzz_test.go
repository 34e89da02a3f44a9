package server

import (
	"errors"
	"net/url"
	"testing"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/explain"
	"github.com/convlab/convlab/mnist"
)

// FuzzNetworkState: any query either parses into a bounded state or is
// refused with an apperr (a 4xx); a parsed cell is explained or refused
// with a RangeError, never a panic.
func FuzzNetworkState(f *testing.F) {
	for _, q := range []string{"", "layer=conv2&c=5&y=7&x=7&step=3", "digit=17&layer=pool1&c=0&y=13&x=13",
		"model=untrained&preset=small&layer=linear&c=9", "layer=softmax&c=10", "px=AAAA", "layer=conv1&x=-1",
		"digit=1&digit=2", "layer=flatten&c=3135", "layer=input&c=0&y=27&x=27&step=99999"} {
		f.Add(q)
	}
	n := explain.Run(mnist.Shipped(), testImg())
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		s, err := parseNetState(q)
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("%q: %v is not an apperr", raw, err)
			}
			return
		}
		if s.Digit > 9999 || s.C < 0 || s.Y < 0 || s.X < 0 || s.Step < 0 || s.Step > 1<<16 {
			t.Fatalf("%q: unbounded state %+v", raw, s)
		}
		if s.Layer == "" || s.Model != "shipped" {
			return
		}
		if _, err := n.Explain(s.Layer, s.C, s.Y, s.X); err != nil {
			var re *explain.RangeError
			if !errors.As(err, &re) {
				t.Fatalf("%q: %v", raw, err)
			}
			if _, ok := apperr.As(netFail(err)); !ok {
				t.Fatalf("%q: netFail(%v) is not an apperr", raw, err)
			}
		}
	})
}
