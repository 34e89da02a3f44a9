package jsonreq

import (
	"testing"

	"github.com/convlab/convlab/internal/apperr"
)

// FuzzDecode: any body is decoded or refused with an *apperr.Error of kind
// Invalid whose message is filled in (no placeholder left), never a panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"a","vals":[1,2],"inner":{"x":[1]}}`, `{"vals":[1,null]}`, `null`, `[`, `{"a\"null":1}`, `{"count":1e400}`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v sample
		err := Decode(body, &v)
		if err == nil {
			return
		}
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid {
			t.Fatalf("%q: %v", body, err)
		}
		for _, lang := range []string{"en", "ko"} {
			if m := e.Message(lang); m == "" || placeholder.MatchString(m) && !placeholder.MatchString(string(body)) {
				t.Fatalf("%q: %s message %q", body, lang, m)
			}
		}
	})
}
