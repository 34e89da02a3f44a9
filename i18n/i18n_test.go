package i18n

import (
	"context"
	"slices"
	"testing"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	base := Keys(Langs[0])
	if len(base) == 0 {
		t.Fatal("empty catalogue")
	}
	for _, l := range Langs[1:] {
		if got := Keys(l); !slices.Equal(got, base) {
			for _, k := range base {
				if _, ok := catalogs[l][k]; !ok {
					t.Errorf("%s.txt lacks %q", l, k)
				}
			}
			for _, k := range got {
				if _, ok := catalogs[Langs[0]][k]; !ok {
					t.Errorf("%s.txt has %q, which %s.txt lacks", l, k, Langs[0])
				}
			}
		}
		for _, k := range base {
			if catalogs[l][k] == "" {
				t.Errorf("%s.txt: %q is empty", l, k)
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
