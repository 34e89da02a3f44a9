package i18n

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	// Plural forms count as one message: English needs [one] and
	// [other], Korean only [other].
	messageKeys := func(l string) map[string]bool {
		m := map[string]bool{}
		for k, v := range catalogs[l] {
			base, _, _ := pluralKey(k)
			m[base] = true
			if v == "" {
				t.Errorf("%s.txt: %q is empty", l, k)
			}
		}
		return m
	}
	base := messageKeys(Langs[0])
	if len(base) == 0 {
		t.Fatal("empty catalogue")
	}
	for _, l := range Langs[1:] {
		got := messageKeys(l)
		for k := range base {
			if !got[k] {
				t.Errorf("%s.txt lacks %q", l, k)
			}
		}
		for k := range got {
			if !base[k] {
				t.Errorf("%s.txt has %q, which %s.txt lacks", l, k, Langs[0])
			}
		}
	}
	for _, l := range Langs {
		for k := range catalogs[l] {
			if b, _, ok := pluralKey(k); ok {
				if _, other := catalogs[l][b+"[other]"]; !other {
					t.Errorf("%s.txt: %q has plural forms but no %s[other]", l, b, b)
				}
				if _, plain := catalogs[l][b]; plain {
					t.Errorf("%s.txt: %q is both a plain and a plural message", l, b)
				}
			}
		}
	}
}

func TestLanguageSelection(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"ko-KR,ko;q=0.9,en;q=0.8", "ko"},
		{"en-US,en;q=0.9", "en"},
		{"fr-FR, ko;q=0.5", "ko"},
		{"fr", ""},
		{"", ""},
	} {
		if got := FromAcceptLanguage(tc.header); got != tc.want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
	ctx := WithLang(context.Background(), "ko")
	if got := T(ctx, "nav.train"); got != "학습" {
		t.Errorf("ko nav.train = %q", got)
	}
	if got := T(context.Background(), "nav.train"); got != "Training" {
		t.Errorf("default nav.train = %q", got)
	}
	if got := T(ctx, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}

func TestParseRejectsBadLines(t *testing.T) {
	if _, err := Parse([]byte("a = 1\na = 2\n")); err == nil {
		t.Error("duplicate key accepted")
	}
	if _, err := Parse([]byte("no equals sign\n")); err == nil {
		t.Error("line without = accepted")
	}
}

// TestArgumentsSubstitutedOnce: an argument is written once and never
// read again, so placeholders inside user text stay as typed (the old
// formatter replaced {1} inside argument 0 with argument 1).
func TestArgumentsSubstitutedOnce(t *testing.T) {
	ps, err := build(map[string]map[string]string{
		"en": {"m": "{0} and {1}", "pct": "100% of {0}", "brace": "a {b} {x1} {0}"},
		"ko": {"m": "{1} 그리고 {0}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	saved := printers
	printers = ps
	defer func() { printers = saved }()
	for _, tc := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"en", "m", []any{"{1}{1}", "X"}, "{1}{1} and X"},
		{"ko", "m", []any{"{1}", "{0}"}, "{0} 그리고 {1}"},
		{"en", "pct", []any{"%d %s"}, "100% of %d %s"},
		{"en", "brace", []any{7}, "a {b} {x1} 7"},
		{"en", "m", []any{1000, 0.5}, "1000 and 0.5"}, // no locale grouping
		{"ko", "pct", []any{"x"}, "100% of x"},        // ko lacks it: English
		{"en", "m", []any{"a"}, "a and {1}"},          // a missing argument stays a placeholder
		{"en", "m", nil, "{0} and {1}"},
	} {
		if got := TL(tc.lang, tc.key, tc.args...); got != tc.want {
			t.Errorf("TL(%s, %s, %q) = %q, want %q", tc.lang, tc.key, tc.args, got, tc.want)
		}
	}
}

// TestArgumentsNotMultiplied: the #18 finding: n copies of {1} in an
// argument with a long second argument made the old formatter's output
// n × len(arg 1) long.
func TestArgumentsNotMultiplied(t *testing.T) {
	user := strings.Repeat("{1}", 9000)
	long := strings.Repeat("x", 300)
	got := TL("en", "conv.err.value", user, long)
	if len(got) > len(user)+len(long)+200 {
		t.Errorf("message is %d bytes for %d bytes of arguments", len(got), len(user)+len(long))
	}
}

func TestPlurals(t *testing.T) {
	ps, err := build(map[string]map[string]string{
		"en": {"n[one]": "{0} student", "n[other]": "{0} students"},
		"ko": {"n[other]": "학생 {0}명"},
	})
	if err != nil {
		t.Fatal(err)
	}
	saved := printers
	printers = ps
	defer func() { printers = saved }()
	for _, tc := range []struct {
		lang string
		n    any
		want string
	}{
		{"en", 0, "0 students"}, {"en", 1, "1 student"}, {"en", 2, "2 students"},
		{"en", int64(21), "21 students"}, {"en", "x", "x students"},
		{"ko", 1, "학생 1명"}, {"ko", 5, "학생 5명"},
	} {
		if got := TL(tc.lang, "n", tc.n); got != tc.want {
			t.Errorf("TL(%s, n, %v) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestCataloguePlurals: the follower count in the real catalogues.
func TestCataloguePlurals(t *testing.T) {
	if got := TL("en", "class.leading", 2); !strings.Contains(got, "2 students") {
		t.Errorf("class.leading with 2: %q", got)
	}
	if got := TL("en", "class.leading", 1); strings.Contains(got, "students") {
		t.Errorf("class.leading with 1: %q", got)
	}
	m := Messages("ko", "class.leading")
	if _, ok := m["class.leading[one]"]; ok {
		t.Errorf("ko messages keep English's [one] form: %v", m)
	}
}

// TestKoreanSentencesNameNoParameters: the engine's refusals, the lesson
// and the classroom in Korean do not use a parameter's name as a word of
// the sentence ("in_channels는 …"); they say it in Korean, with
// PyTorch's name in brackets ("입력 채널 수(in_channels)는 …").
func TestKoreanSentencesNameNoParameters(t *testing.T) {
	particle := regexp.MustCompile(`([A-Za-z_][A-Za-z_0-9]*)(은|는|이|가|을|를|의|에|에서|로|으로|와|과)(\s|$|[.,:)])`)
	names := map[string]bool{"PyTorch": true, "MNIST": true, "ReLU": true, "SGD": true, "Adam": true, "GIF": true, "Conv2d": true, "ConvTranspose2d": true, "MaxPool2d": true}
	for _, k := range Keys("ko") {
		if !strings.HasPrefix(k, "conv.engine.") && !strings.HasPrefix(k, "lesson.") && !strings.HasPrefix(k, "class.") {
			continue
		}
		for _, m := range particle.FindAllStringSubmatch(catalogs["ko"][k], -1) {
			if !names[m[1]] {
				t.Errorf("ko %s: %q is used as a Korean word: %q", k, m[1], catalogs["ko"][k])
			}
		}
	}
}

// BenchmarkTL: a page renders a few hundred messages; x/text's printer
// per call (go test ./i18n -bench TL -benchmem).
func BenchmarkTL(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  string
		args []any
	}{
		{"plain", "nav.train", nil},
		{"args", "conv.err.preset", []any{"nope", "lesson-4x4, lesson-5x5"}},
		{"plural", "class.followers", []any{3}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = TL("ko", bc.key, bc.args...)
			}
		})
	}
}
