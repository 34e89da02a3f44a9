package i18n

import (
	"strings"
	"testing"
)

// TestKoreanTerms: the Korean catalogue names one thing one way (QA
// findings 10, 11): a feature map is 특성 맵 (never 특징 맵) and the
// lesson is 수업 (never 강의), so students do not wonder whether two words
// are two things.
func TestKoreanTerms(t *testing.T) {
	avoid := map[string]string{"특징 맵": "특성 맵", "특징맵": "특성 맵", "강의": "수업"}
	for k, v := range Messages("ko", "") {
		for bad, good := range avoid {
			if strings.Contains(v, bad) {
				t.Errorf("ko %s = %q says %q; the catalogue's word is %q", k, v, bad, good)
			}
		}
	}
}
