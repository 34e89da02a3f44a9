package server

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The /train stat tiles and chart legends are labelled in sentence case
// in English ("Training accuracy", not "training accuracy" next to
// "Step"), QA finding 9.
func TestTrainLabelsSentenceCase(t *testing.T) {
	_, srv := newTestServer(t)
	_, body := get(t, nil, srv.URL+"/train?lang=en")
	stats := regexp.MustCompile(`(?s)<dl class="train-stats">(.*?)</dl>`).FindStringSubmatch(body)
	if stats == nil {
		t.Fatal("no stat tiles")
	}
	labels := regexp.MustCompile(`<dt>([^<]*)</dt>`).FindAllStringSubmatch(stats[1], -1)
	legend := regexp.MustCompile(`aria-hidden="true"></span>([^<]+)`).FindAllStringSubmatch(body, -1)
	if len(labels) < 7 || len(legend) < 2 {
		t.Fatalf("%d tiles, %d legend keys", len(labels), len(legend))
	}
	for _, m := range append(labels, legend...) {
		s := strings.TrimSpace(html.UnescapeString(m[1]))
		if r, _ := utf8.DecodeRuneInString(s); !unicode.IsUpper(r) {
			t.Errorf("label %q is not in sentence case", s)
		}
	}
}
