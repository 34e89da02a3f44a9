package i18n

import (
	"strings"
	"testing"
)

// TestPairsNotHex: a pair of numbers in a message is written with "×"
// ("got 0×0"), never with the letter x ("got 0x0" reads as hexadecimal
// zero; QA finding 17), the English conv.engine.* entries included: they
// are the engine's own text (internal/apperr's TestEngineMessages), which
// conv/ writes with "×" too.
func TestPairsNotHex(t *testing.T) {
	for _, lang := range Langs {
		for k, v := range Messages(lang, "") {
			if strings.Contains(v, "}x{") {
				t.Errorf("%s %s = %q writes a pair with the letter x", lang, k, v)
			}
		}
	}
}
