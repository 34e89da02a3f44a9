package apperr

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convgolden"
)

var placeholder = regexp.MustCompile(`\{([a-z_0-9]+)\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func hasHangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

// TestEngineCatalogue: every code the engine makes (conv.Codes) has an
// entry in each catalogue, the Korean one in Korean with the same named
// placeholders as the English one.
func TestEngineCatalogue(t *testing.T) {
	for _, code := range conv.Codes {
		key := "conv.engine." + code
		en, ko := i18n.TL("en", key), i18n.TL("ko", key)
		if en == key || ko == key {
			t.Errorf("%s: missing in en.txt or ko.txt", key)
			continue
		}
		if !hasHangul(ko) {
			t.Errorf("%s is not Korean: %q", key, ko)
		}
		if pe, pk := placeholders(en), placeholders(ko); !slices.Equal(pe, pk) {
			t.Errorf("%s: English has {%v}, Korean {%v}", key, pe, pk)
		}
	}
	for _, k := range i18n.Keys("en") {
		if code, ok := strings.CutPrefix(k, "conv.engine."); ok && !strings.HasPrefix(code, "word.") && !slices.Contains(conv.Codes, code) {
			t.Errorf("%s: no such engine code (conv.Codes)", k)
		}
	}
}

// TestEngineMessages: for every configuration PyTorch refuses (the golden
// file's ~180) and a few more, the English message from the catalogue is
// the engine's own text, and the Korean one has every argument filled in.
func TestEngineMessages(t *testing.T) {
	gf, err := convgolden.Load()
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, r := range gf.Reject {
		_, err := r.Spec.Spec().Resolve(r.InH, r.InW)
		errs = append(errs, err)
	}
	for _, p := range gf.PoolReject {
		_, err := conv.PoolSpec{Kernel: p.Kernel, Stride: p.Stride, Padding: p.Padding}.Resolve(p.C, p.InH, p.InW)
		errs = append(errs, err)
	}
	base := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}
	for _, f := range []func(s *conv.Spec){
		func(s *conv.Spec) { s.Dilation = [2]int{3, 3} },
		func(s *conv.Spec) { s.PaddingMode = conv.Circular; s.Padding = [2]int{0, 9} },
		func(s *conv.Spec) { s.PaddingMode = conv.Reflect; s.Padding = [2]int{5, 0} },
		func(s *conv.Spec) { s.Transposed = true; s.Stride = [2]int{conv.MaxDim, 1} },
	} {
		s := base
		f(&s)
		_, err := s.Resolve(4, 4)
		errs = append(errs, err)
	}
	codes := map[string]bool{}
	for _, err := range errs {
		var ce *conv.Error
		if !errors.As(err, &ce) {
			t.Fatalf("not a *conv.Error: %v", err)
		}
		codes[ce.Code] = true
		e := FromConv(ce)
		if got := e.Message("en"); got != ce.Msg {
			t.Errorf("%s: the catalogue's English\n  %q\nis not the engine's\n  %q", ce.Code, got, ce.Msg)
		}
		ko := e.Message("ko")
		if strings.Contains(ko, "{") || !hasHangul(ko) {
			t.Errorf("%s: Korean %q", ce.Code, ko)
		}
		if e.Kind != Unprocessable || e.Param != ce.Param || KindOf(fmt.Errorf("wrapped: %w", ce)) != Unprocessable {
			t.Errorf("%s: kind %v param %q", ce.Code, e.Kind, e.Param)
		}
	}
	if len(codes) < 20 {
		t.Errorf("only %d engine codes exercised", len(codes))
	}
	// The words of "dim" are translated.
	_, err = conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, PaddingMode: conv.Reflect, Padding: [2]int{3, 0}}.Resolve(3, 5)
	if ko := Message("ko", err); !strings.Contains(ko, "입력 높이 3에 패딩 3") {
		t.Errorf("reflect in Korean: %q", ko)
	}
}

func TestFillOnce(t *testing.T) {
	e := &Error{Args: []Arg{A("a", "{b}"), A("b", "X")}}
	got := Fill("<{a}|{b}|{c}|{>", func(n string) (string, bool) {
		for _, a := range e.Args {
			if a.Name == n {
				return a.Text, true
			}
		}
		return "", false
	})
	if want := "<{b}|X|{c}|{>"; got != want {
		t.Errorf("Fill = %q, want %q (an argument's text is not searched again)", got, want)
	}
}

func TestInternal(t *testing.T) {
	err := errors.New("disk on fire")
	if KindOf(err) != Internal || Message("ko", err) != "" {
		t.Errorf("a plain error must be internal and say nothing: %v %q", KindOf(err), Message("ko", err))
	}
	e := New(Conflict, "train_no_model").Wrap(err)
	if !errors.Is(e, err) || KindOf(fmt.Errorf("x: %w", e)) != Conflict {
		t.Error("Wrap/Unwrap/KindOf")
	}
	if e := (&Error{Code: "made_by_hand", Key: "err.made_by_hand"}); e.Message("en") != "made_by_hand" {
		t.Errorf("an error without an entry shows its code: %q", e.Message("en"))
	}
	defer func() {
		if recover() == nil {
			t.Error("New with a code that has no message did not panic")
		}
	}()
	_ = New(Invalid, "no_such_entry")
}
