// Package apperr is convlab's one error type for what a user sent: a kind
// (which the HTTP layer maps to a status, in one place:
// internal/server/errors.go), a stable code, the message's named arguments
// and its catalogue key, so the message is said in the reader's language.
// It knows nothing of HTTP, so packages such as internal/live and
// internal/convapi use it without a server.
//
// Making one:
//
//	return apperr.New(apperr.Invalid, "json_syntax", apperr.A("offset", 12))
//
// says the catalogue entry "err.json_syntax" (i18n/en.txt, ko.txt), whose
// {offset} is 12. The engine's refusals (*conv.Error) become errors of kind
// Unprocessable with the key "conv.engine.<code>" (FromConv).
//
// Anything that is not an *Error is an internal error: its cause goes to the
// log and the user sees only that something went wrong.
package apperr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
)

// Kind says what sort of failure an error is; the HTTP layer maps each to
// a status (errors.go in internal/server).
type Kind uint8

const (
	Internal         Kind = iota // a bug or a failure of the server (500; the cause is only logged)
	Invalid                      // the request is malformed: bad JSON, a wrong type, a missing field (400)
	Unprocessable                // well-formed, but refused: over a bound, or against PyTorch's rules (422)
	TooLarge                     // the body is over its limit (413)
	UnsupportedMedia             // the body is not JSON (415)
	NotFound                     // (404)
	Forbidden                    // (403)
	Conflict                     // the request does not fit the current state, e.g. no training run yet (409)
	Unavailable                  // busy, shutting down, or missing data; try again later (503)
)

// Arg is one named argument of a message: {Name} in the catalogue entry.
// Text is the value as written; a Word is itself a catalogue key, said in
// the reader's language.
type Arg struct {
	Name string
	Text string
	Word bool
}

// A is an argument written with fmt.Sprint.
func A(name string, v any) Arg { return Arg{Name: name, Text: fmt.Sprint(v)} }

// Q is a string argument quoted (Go syntax, so control characters show as
// escapes), at most 40 characters of it.
func Q(name, s string) Arg { return Arg{Name: name, Text: fmt.Sprintf("%q", Truncate(s, 40))} }

// W is an argument that is a catalogue key, translated with the message.
func W(name, key string) Arg { return Arg{Name: name, Text: key, Word: true} }

// Error is an error meant for the user.
type Error struct {
	Kind  Kind
	Code  string // stable, e.g. "json_syntax" or (from the engine) "kernel_too_large"
	Key   string // the message's catalogue key, e.g. "err.json_syntax"
	Args  []Arg
	Param string // the request field at fault, when there is one
	Err   error  // the cause, if any: never shown, only logged
	msg   string // English, when the catalogue has no entry (engine: conv.Error.Msg)
}

// New makes an error whose message is the catalogue entry "err.<code>".
// A code without an entry in i18n/en.txt is a programmer error: New
// panics, so any test that reaches the error finds the missing message
// (go test ./i18n checks every English key has a Korean one).
func New(kind Kind, code string, args ...Arg) *Error {
	key := "err." + code
	if i18n.TL("en", key) == key {
		panic("apperr: no message " + key + " in i18n/en.txt")
	}
	return &Error{Kind: kind, Code: code, Key: key, Args: args}
}

// NewKeyed is New with the message under key instead of "err.<code>",
// for messages that live in a page's own catalogue section: convstate's
// "conv.err.<key>", which /conv also shows inline. Like New, it panics
// when key has no entry in i18n/en.txt.
func NewKeyed(kind Kind, code, key string, args ...Arg) *Error {
	if i18n.TL("en", key) == key {
		panic("apperr: no message " + key + " in i18n/en.txt")
	}
	return &Error{Kind: kind, Code: code, Key: key, Args: args}
}

// WithParam sets the request field at fault and returns e.
func (e *Error) WithParam(p string) *Error { e.Param = p; return e }

// Wrap keeps cause (logged, never shown) and returns e.
func (e *Error) Wrap(cause error) *Error { e.Err = cause; return e }

// Error is the message in English.
func (e *Error) Error() string { return e.Message("en") }

func (e *Error) Unwrap() error { return e.Err }

// Message is the message in lang: the catalogue entry with the arguments
// filled in once (an argument's text is never searched for placeholders).
func (e *Error) Message(lang string) string {
	tmpl := i18n.TL(lang, e.Key)
	if tmpl == e.Key { // no entry
		if e.msg != "" {
			return e.msg
		}
		return e.Code
	}
	return Fill(tmpl, func(name string) (string, bool) {
		for _, a := range e.Args {
			if a.Name == name {
				if a.Word {
					return i18n.TL(lang, a.Text), true
				}
				return a.Text, true
			}
		}
		return "", false
	})
}

// Fill replaces each {name} of tmpl that lookup knows, in one pass; other
// braces stay as they are.
func Fill(tmpl string, lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i:]
		j := strings.IndexByte(tmpl, '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		if v, ok := lookup(tmpl[1:j]); ok {
			b.WriteString(v)
			tmpl = tmpl[j+1:]
		} else {
			b.WriteByte('{')
			tmpl = tmpl[1:]
		}
	}
}

// FromConv is the engine's refusal as an *Error: kind Unprocessable, the
// engine's code, the catalogue key "conv.engine.<code>" and the engine's
// named arguments (a "dim" argument, "height" or "width", is a word:
// "conv.engine.word.<dim>").
func FromConv(ce *conv.Error) *Error {
	e := &Error{Kind: Unprocessable, Code: ce.Code, Key: "conv.engine." + ce.Code, Param: ce.Param, Err: ce, msg: ce.Msg}
	for _, a := range ce.Args {
		arg := Arg{Name: a.Name, Text: a.Text}
		if a.Name == "dim" {
			arg = W(a.Name, "conv.engine.word."+a.Text)
		}
		e.Args = append(e.Args, arg)
	}
	return e
}

// As finds the *Error in err's chain; a *conv.Error becomes one
// (FromConv). Otherwise ok is false: err is internal.
func As(err error) (e *Error, ok bool) {
	if errors.As(err, &e) {
		return e, true
	}
	var ce *conv.Error
	if errors.As(err, &ce) {
		return FromConv(ce), true
	}
	return nil, false
}

// KindOf is err's kind (Internal for anything that is not an *Error or a
// *conv.Error).
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Message is err's message in lang, or "" for an internal error, whose
// cause is not for the user.
func Message(lang string, err error) string {
	if e, ok := As(err); ok {
		return e.Message(lang)
	}
	return ""
}

// Truncate cuts s to at most n runes, marking the cut with "…".
func Truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
