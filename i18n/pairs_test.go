package i18n

import (
	"strings"
	"testing"
)

// TestPairsNotHex: a pair of numbers in a message is written with "×"
// ("got 0×0"), never with the letter x ("got 0x0" reads as hexadecimal
// zero; QA finding 17). The English conv.engine.* entries are left out:
// they must be the engine's own text (internal/apperr's
// TestEngineMessages), which conv/ writes with "x".
func TestPairsNotHex(t *testing.T) {
	for _, lang := range Langs {
		for k, v := range Messages(lang, "") {
			if lang == "en" && strings.HasPrefix(k, "conv.engine.") {
				continue
			}
			if strings.Contains(v, "}x{") {
				t.Errorf("%s %s = %q writes a pair with the letter x", lang, k, v)
			}
		}
	}
}
