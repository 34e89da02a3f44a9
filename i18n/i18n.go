// Package i18n is convlab's message catalogue: one file per language
// (en.txt, ko.txt), embedded in the binary.
//
// Catalogue format, one message per line:
//
//	# comment
//	key.name = The text, with {0}-style placeholders if needed
//
// Keys are grouped by page ("nav.", "conv.", "anim.", "train.", "draw.").
// Every key must exist in every language (a test checks it).
package i18n

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.txt
var files embed.FS

// Langs lists the supported languages; the first is the fallback.
var Langs = []string{"en", "ko"}

var catalogs = mustLoad()

func mustLoad() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range Langs {
		b, err := files.ReadFile(l + ".txt")
		if err != nil {
			panic("i18n: missing catalogue " + l)
		}
		m, err := Parse(b)
		if err != nil {
			panic(fmt.Sprintf("i18n: %s.txt: %v", l, err))
		}
		out[l] = m
	}
	return out
}

// Parse reads one catalogue.
func Parse(b []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: want key = text", n)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("line %d: key %q defined twice", n, k)
		}
		m[k] = v
	}
	return m, sc.Err()
}

// Keys returns the sorted keys of a language's catalogue.
func Keys(lang string) []string {
	var ks []string
	for k := range catalogs[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type ctxKey struct{}

// WithLang returns a context that renders in lang.
func WithLang(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, Normalize(lang))
}

// Lang is the language of ctx ("en" by default).
func Lang(ctx context.Context) string {
	if l, ok := ctx.Value(ctxKey{}).(string); ok {
		return l
	}
	return Langs[0]
}

// Normalize maps a language tag ("ko-KR", "EN") to a supported language,
// or "" when none matches.
func Normalize(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, l := range Langs {
		if tag == l || strings.HasPrefix(tag, l+"-") {
			return l
		}
	}
	return ""
}

// FromAcceptLanguage picks the first supported language of an
// Accept-Language header, or "".
func FromAcceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := Normalize(tag); l != "" {
			return l
		}
	}
	return ""
}

// T translates key into the language of ctx, filling {0}, {1}, ... with
// args. A missing key shows itself, so it is noticed, never a blank.
func T(ctx context.Context, key string, args ...any) string {
	return TL(Lang(ctx), key, args...)
}

// TL translates key into lang.
func TL(lang, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		s, ok = catalogs[Langs[0]][key]
	}
	if !ok {
		return key
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, fmt.Sprintf("{%d}", i), fmt.Sprint(a))
	}
	return s
}

// Messages returns the messages of lang whose keys start with prefix, for
// handing to a page's script through templ.JSONScript.
func Messages(lang, prefix string) map[string]string {
	m := map[string]string{}
	for k, v := range catalogs[Langs[0]] {
		if strings.HasPrefix(k, prefix) {
			m[k] = v
		}
	}
	for k, v := range catalogs[lang] {
		if strings.HasPrefix(k, prefix) {
			m[k] = v
		}
	}
	return m
}
