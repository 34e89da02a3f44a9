// Package i18n is convlab's message catalogue: one file per language
// (en.txt, ko.txt), embedded in the binary.
//
// Catalogue format, one message per line:
//
//	# comment
//	key.name = The text, with {0}-style placeholders if needed
//	key.count[one] = {0} student is following
//	key.count[other] = {0} students are following
//
// A key with [zero|one|two|few|many|other] forms is one plural message
// (CLDR rules of the language; Korean needs only [other]). Formatting is
// golang.org/x/text/message's (see TL).
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
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed *.txt
var files embed.FS

// Langs lists the supported languages; the first is the fallback.
var Langs = []string{"en", "ko"}

// catalogs holds each language's raw texts (as written in its file);
// printers format them (golang.org/x/text/message).
var catalogs, printers = mustLoad()

// printer is one language's x/text printer and the message keys it knows.
type printer struct {
	p *message.Printer
	// nargs: the keys it knows, with how many arguments each takes (the
	// highest {N} + 1, over all plural forms).
	nargs map[string]int
	// plain: the messages with no placeholder and no plural forms, as
	// written (TL returns them without going through the printer).
	plain map[string]string
}

func (p printer) has(key string) bool { _, ok := p.nargs[key]; return ok }

func mustLoad() (map[string]map[string]string, map[string]printer) {
	raw := map[string]map[string]string{}
	for _, l := range Langs {
		b, err := files.ReadFile(l + ".txt")
		if err != nil {
			panic("i18n: missing catalogue " + l)
		}
		m, err := Parse(b)
		if err != nil {
			panic(fmt.Sprintf("i18n: %s.txt: %v", l, err))
		}
		raw[l] = m
	}
	ps, err := build(raw)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	return raw, ps
}

// pluralForms are the CLDR plural categories a catalogue may use.
var pluralForms = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// pluralKey splits "class.leading[one]" into ("class.leading", "one").
func pluralKey(k string) (base, form string, ok bool) {
	i := strings.LastIndexByte(k, '[')
	if i < 0 || !strings.HasSuffix(k, "]") {
		return k, "", false
	}
	base, form = k[:i], k[i+1:len(k)-1]
	_, ok = pluralForms[form]
	return base, form, ok
}

// build turns the raw catalogues into x/text catalogues: {N} becomes
// %[N+1]v, a literal % becomes %%, and plural forms become a
// plural.Selectf on the first argument. A key missing in a language falls
// back to the first language's text.
func build(raw map[string]map[string]string) (map[string]printer, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.MustParse(Langs[0])))
	out := map[string]printer{}
	for _, l := range Langs {
		tag := language.MustParse(l)
		msgs := map[string]catalog.Message{}
		forms := map[string][]any{}
		nargs := map[string]int{}
		plain := map[string]string{}
		add := func(m map[string]string) error {
			for k, v := range m {
				base, form, isPlural := pluralKey(k)
				if _, done := msgs[base]; done {
					continue
				}
				if _, done := forms[base]; done && !isPlural {
					continue
				}
				f, n, err := toPrintf(v)
				if err != nil {
					return fmt.Errorf("%s.txt: %s: %v", l, k, err)
				}
				nargs[base] = max(nargs[base], n)
				if isPlural {
					forms[base] = append(forms[base], form, f)
				} else {
					msgs[base] = catalog.String(f)
					if n == 0 {
						plain[base] = v
					}
				}
			}
			return nil
		}
		if err := add(raw[l]); err != nil {
			return nil, err
		}
		// English texts for the keys this language lacks (so a missing
		// key reads in English, never blank).
		fallback := map[string]string{}
		for k, v := range raw[Langs[0]] {
			base, _, _ := pluralKey(k)
			if _, ok := msgs[base]; ok {
				continue
			}
			if _, ok := forms[base]; ok && l != Langs[0] {
				continue
			}
			fallback[k] = v
		}
		if l != Langs[0] {
			if err := add(fallback); err != nil {
				return nil, err
			}
		}
		for k, m := range msgs {
			if err := b.Set(tag, k, m); err != nil {
				return nil, err
			}
		}
		for k, f := range forms {
			// "other" last: Selectf takes the first case that matches.
			sortForms(f)
			if err := b.Set(tag, k, plural.Selectf(1, "", f...)); err != nil {
				return nil, err
			}
		}
		out[l] = printer{p: message.NewPrinter(tag, message.Catalog(b)), nargs: nargs, plain: plain}
	}
	return out, nil
}

// sortForms orders selector/message pairs so "other" comes last.
func sortForms(f []any) {
	for i := 0; i+3 < len(f); i += 2 {
		if f[i] == "other" {
			f[i], f[i+1], f[len(f)-2], f[len(f)-1] = f[len(f)-2], f[len(f)-1], f[i], f[i+1]
			return
		}
	}
}

// toPrintf rewrites a catalogue text ({0}-style placeholders) as an
// x/text format string, and says how many arguments it takes.
func toPrintf(s string) (string, int, error) {
	nargs := 0
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			b.WriteString("%%")
		case '{':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != '}' {
				b.WriteByte(c) // a brace that is not a placeholder
				continue
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err != nil || n > 99 {
				return "", 0, fmt.Errorf("placeholder %s", s[i:j+1])
			}
			nargs = max(nargs, n+1)
			fmt.Fprintf(&b, "%%[%d]v", n+1)
			i = j
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nargs, nil
}

// arg wraps a message argument: it prints as fmt.Sprint would (no
// locale grouping, so numbers read as they do elsewhere on the page), and
// reports its plural form for plural.Selectf.
type arg struct{ v any }

func (a arg) Format(f fmt.State, verb rune) { fmt.Fprint(f, a.v) }

func (a arg) PluralForm(t language.Tag, scale int) (plural.Form, int) {
	n, ok := toInt(a.v)
	if !ok {
		return plural.Other, -1
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	return plural.Cardinal.MatchPlural(t, int(abs%10_000_000), 0, 0, 0, 0), int(abs % 10_000_000)
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
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

// TL translates key into lang. The message is formatted by
// golang.org/x/text/message in one pass: an argument is written where its
// placeholder is and never read again, so a {1} inside an argument (user
// text) stays as it is. A message with plural forms (key[one], key[other])
// picks the form of its first argument by the language's CLDR rules.
func TL(lang, key string, args ...any) string {
	p, ok := printers[lang]
	if !ok {
		p = printers[Langs[0]]
	}
	if !p.has(key) {
		return key
	}
	if s, ok := p.plain[key]; ok && len(args) == 0 {
		return s
	}
	// A placeholder without its argument stays as written ("{2}").
	wrapped := make([]any, max(len(args), p.nargs[key]))
	for i := range wrapped {
		if i < len(args) {
			wrapped[i] = arg{args[i]}
		} else {
			wrapped[i] = arg{"{" + strconv.Itoa(i) + "}"}
		}
	}
	return p.p.Sprintf(key, wrapped...)
}

// Messages returns the messages of lang whose keys start with prefix, for
// handing to a page's script through templ.JSONScript. Plural messages come
// as their forms (key[one], key[other]); static/js/i18n.js picks one with
// Intl.PluralRules.
func Messages(lang, prefix string) map[string]string {
	m := map[string]string{}
	for k, v := range catalogs[Langs[0]] {
		if strings.HasPrefix(k, prefix) {
			m[k] = v
		}
	}
	if lang != Langs[0] {
		for k := range catalogs[lang] {
			if strings.HasPrefix(k, prefix) {
				// A language's plural forms replace English's whole set.
				if base, _, ok := pluralKey(k); ok {
					for f := range pluralForms {
						delete(m, base+"["+f+"]")
					}
				}
			}
		}
		for k, v := range catalogs[lang] {
			if strings.HasPrefix(k, prefix) {
				m[k] = v
			}
		}
	}
	return m
}
