package i18n

import (
	"regexp"
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

// TestKoreanParticles: a Korean message never writes a particle in both
// forms after a value, as in "커널 2x2이(가)" (QA finding 16); the
// particle follows a fixed noun instead ("커널 크기(2x2)가").
func TestKoreanParticles(t *testing.T) {
	both := regexp.MustCompile(`이\(가\)|은\(는\)|을\(를\)|과\(와\)|와\(과\)|\(으\)로|\(이\)`)
	for k, v := range Messages("ko", "") {
		if m := both.FindString(v); m != "" {
			t.Errorf("ko %s = %q writes the particle %q", k, v, m)
		}
	}
}
