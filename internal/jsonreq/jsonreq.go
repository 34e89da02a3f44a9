// Package jsonreq is convlab's one JSON request decoder, with one way of
// wording what is wrong with a body. Every JSON endpoint reads its body
// through it (internal/server's readJSON; internal/convapi for
// POST /api/conv; internal/live.ParseConfig for the training settings).
//
// A body must be exactly one JSON object whose fields are all known to the
// target struct; null is refused everywhere (leave a field out instead),
// so a null number is never read as 0. Errors are *apperr.Error of kind
// Invalid (TooLarge past the body limit, UnsupportedMedia for a body that
// is not declared JSON), with messages in the reader's language
// ("err.json_*" in i18n/*.txt).
package jsonreq

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/convlab/convlab/internal/apperr"
)

// CheckContentType accepts a body declared as JSON: "application/json"
// (any parameters, e.g. charset=utf-8) or a "+json" type. A request with
// an empty body passes whatever it says. Anything else is refused with
// UnsupportedMedia (415): form types and a missing type are what a
// cross-site form or a no-cors fetch can send without the browser asking
// first, so requiring JSON keeps other sites from driving the API with a
// visitor's cookies (the presenter's, for instance).
func CheckContentType(contentType string, contentLength int64) error {
	if contentLength == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	got := apperr.Q("got", contentType)
	if contentType == "" {
		got = apperr.A("got", "none")
	}
	return apperr.New(apperr.UnsupportedMedia, "json_content_type", got)
}

// Read reads all of r (a body under http.MaxBytesReader) and decodes it
// like Decode. It returns the bytes read.
func Read(r io.Reader, v any) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, ReadError(err)
	}
	return b, Decode(b, v)
}

// ReadError words a failure to read a body: past the limit (413) or cut off.
func ReadError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return apperr.New(apperr.TooLarge, "body_too_large", apperr.A("limit", mb.Limit)).Wrap(err)
	}
	return apperr.New(apperr.Invalid, "body_unreadable").Wrap(err)
}

// Decode decodes b, exactly one JSON object, into v, a pointer to a struct.
// Unknown fields, null anything, and anything after the object are
// refused, each with a message that names the field.
func Decode(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return apperr.New(apperr.Invalid, "json_empty")
	}
	if i := firstNull(b); i >= 0 {
		path := pathAt(b, i)
		top, _, _ := strings.Cut(path, ".")
		top, _, _ = strings.Cut(top, "[")
		return apperr.New(apperr.Invalid, "json_null", apperr.A("field", path)).WithParam(top)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, b, v)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.Invalid, "json_trailing")
	}
	return nil
}

func decodeError(err error, b []byte, v any) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "json_truncated")
	case errors.As(err, &syn):
		return apperr.New(apperr.Invalid, "json_syntax", apperr.A("offset", syn.Offset), apperr.A("near", "`"+near(b, syn.Offset)+"`"))
	case errors.As(err, &typ):
		if typ.Field == "" { // the body itself is not an object
			return apperr.New(apperr.Invalid, "json_not_object", apperr.W("got", "err.json_word."+jsonWord(typ.Value)))
		}
		want := typ.Type
		for want.Kind() == reflect.Pointer || want.Kind() == reflect.Slice || want.Kind() == reflect.Array {
			want = want.Elem()
		}
		if got, ok := strings.CutPrefix(typ.Value, "number "); ok && isNumberKind(want.Kind()) {
			// A number of the right kind but not representable: 1.5 for an int, 1e400, -1 for a uint.
			return apperr.New(apperr.Invalid, "json_number_range", apperr.A("field", typ.Field),
				apperr.W("want", "err.json_word."+kindWord(want.Kind())), apperr.A("got", apperr.Truncate(got, 30))).WithParam(typ.Field)
		}
		return apperr.New(apperr.Invalid, "json_type", apperr.A("field", typ.Field),
			apperr.W("want", "err.json_word."+kindWord(want.Kind())), apperr.W("got", "err.json_word."+jsonWord(typ.Value))).WithParam(typ.Field)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ = strconv.Unquote(f)
		return apperr.New(apperr.Invalid, "json_unknown_field", apperr.Q("field", f), apperr.A("known", knownFields(v))).WithParam(f)
	}
	// A field's own UnmarshalJSON refused its value, or an error encoding/json
	// words in a way not matched above: no Go internals for the user.
	return apperr.New(apperr.Invalid, "json_invalid").Wrap(err)
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// kindWord names what a Go kind takes, as a catalogue word.
func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "whole_number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "natural_number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "value"
}

// jsonWord names the JSON value encoding/json saw ("number", "number 1.5",
// "string", "bool", "array", "object").
func jsonWord(v string) string {
	v, _, _ = strings.Cut(v, " ")
	switch v {
	case "number", "string", "bool", "array", "object":
		return v
	}
	return "value"
}

// knownFields lists the JSON names of v's struct fields.
func knownFields(v any) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// near is a short excerpt of b around offset, for a syntax error.
func near(b []byte, off int64) string {
	lo, hi := max(int(off)-10, 0), min(int(off)+10, len(b))
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == '`' || r == 0x7f {
			return ' '
		}
		return r
	}, string(bytes.ToValidUTF8(b[lo:hi], []byte("?"))))
}

// firstNull is the offset of the first null literal outside strings, or -1.
// One pass over the bytes; valid JSON is not assumed (the decoder checks).
func firstNull(b []byte) int {
	in, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
		case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
			return i
		}
	}
	return -1
}

// pathAt names the place of offset i in b, e.g. `image[3]` or
// `state.input`: a scan that keeps the path of keys and indexes, which runs
// only to word an error.
func pathAt(b []byte, at int) string {
	type level struct {
		array bool
		key   string
		index int
	}
	var stack []level
	in, esc, keyStart := false, false, -1
	var lastStr string
	for i := 0; i < at && i < len(b); i++ {
		c := b[i]
		if in {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
				lastStr, _ = strconv.Unquote(string(b[keyStart : i+1]))
			}
			continue
		}
		switch c {
		case '"':
			in, keyStart = true, i
		case '{':
			stack = append(stack, level{})
		case '[':
			stack = append(stack, level{array: true})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ':':
			if len(stack) > 0 {
				stack[len(stack)-1].key = lastStr
			}
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].array {
				stack[len(stack)-1].index++
			}
		}
	}
	var sb strings.Builder
	for _, l := range stack {
		if l.array {
			sb.WriteString("[" + strconv.Itoa(l.index) + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(l.key)
	}
	if sb.Len() == 0 {
		return "the body"
	}
	return sb.String()
}
