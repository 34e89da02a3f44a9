package jsonreq

import (
	"regexp"
	"strings"
	"testing"

	"github.com/convlab/convlab/internal/apperr"
)

type sample struct {
	Name  string    `json:"name"`
	Count int       `json:"count"`
	Seed  uint64    `json:"seed"`
	Rate  float64   `json:"rate"`
	On    *bool     `json:"on"`
	Vals  []float64 `json:"vals"`
	Inner struct {
		X []int `json:"x"`
	} `json:"inner"`
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		body       string
		code, want string
	}{
		{`{"name":"a","count":3,"vals":[1,2],"inner":{"x":[1]}}`, "", ""},
		{`{"name":"null is fine inside a string \" null"}`, "", ""},
		{``, "json_empty", "the request body is empty"},
		{`  `, "json_empty", ""},
		{`{"vals":[1,null]}`, "json_null", "vals[1] is null"},
		{`{"inner":{"x":[0,1,null]}}`, "json_null", "inner.x[2] is null"},
		{`{"on":null}`, "json_null", "on is null"},
		{`null`, "json_null", "the body is null"},
		{`{"count":"3"}`, "json_type", "count must be a whole number, got a string"},
		{`{"count":1.5}`, "json_number_range", "count must be a whole number in range, got 1.5"},
		{`{"seed":-1}`, "json_number_range", "seed must be a whole number, 0 or more in range, got -1"},
		{`{"name":1}`, "json_type", "name must be a string, got a number"},
		{`{"on":"yes"}`, "json_type", "on must be true or false, got a string"},
		{`{"vals":{}}`, "json_type", "vals must be a number, got an object"},
		{`[1]`, "json_not_object", "the body must be a JSON object, got an array"},
		{`"x"`, "json_not_object", "got a string"},
		{`{"nmae":"a"}`, "json_unknown_field", `unknown field "nmae" (known: name, count, seed, rate, on, vals, inner)`},
		{`{"name":"a"} {}`, "json_trailing", "nothing after it"},
		{`{"name":`, "json_truncated", "ends too early"},
		{`{"name" "a"}`, "json_syntax", "malformed JSON at byte 9, near `{\"name\" \"a\"}`"},
	} {
		var v sample
		err := Decode([]byte(tc.body), &v)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || e.Code != tc.code || !strings.Contains(e.Error(), tc.want) {
			t.Errorf("%s: %v (%+v), want %s containing %q", tc.body, err, e, tc.code, tc.want)
			continue
		}
		if ko := e.Message("ko"); ko == e.Error() || placeholder.MatchString(ko) {
			t.Errorf("%s: Korean %q", tc.body, ko)
		}
	}
}

func TestCheckContentType(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		n    int64
		want bool
	}{
		{"application/json", 10, true},
		{"application/json; charset=utf-8", 10, true},
		{"APPLICATION/JSON", 10, true},
		{"application/merge-patch+json", 10, true},
		{"application/x-www-form-urlencoded", 10, false},
		{"text/plain;charset=UTF-8", 10, false},
		{"multipart/form-data; boundary=x", 10, false},
		{"", 10, false},
		{"", -1, false},
		{"", 0, true}, // no body, nothing to check
		{"text/plain", 0, true},
	} {
		err := CheckContentType(tc.ct, tc.n)
		if (err == nil) != tc.want {
			t.Errorf("%q with %d bytes: %v", tc.ct, tc.n, err)
		}
		if err != nil && apperr.KindOf(err) != apperr.UnsupportedMedia {
			t.Errorf("%q: kind %v", tc.ct, apperr.KindOf(err))
		}
	}
}
