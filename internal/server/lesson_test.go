package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestConvNextExample: the lesson's examples on /conv link to the next
// one, in the lesson's order; the last one and other presets do not.
func TestConvNextExample(t *testing.T) {
	_, srv := newTestServer(t)
	next := regexp.MustCompile(`href="([^"]*)" data-testid="next-example"`)
	for _, tc := range []struct{ preset, want string }{
		{"lesson-4x4", "/conv?preset=lesson-5x5"},
		{"lesson-5x5", "/conv?preset=lesson-mnist"},
		{"lesson-mnist", "/conv?preset=stride"},
		{"stride", "/conv?preset=zero-padding"},
		{"zero-padding", ""},
		{"dilation", ""},
	} {
		_, body := get(t, nil, srv.URL+"/conv?lang=en&preset="+tc.preset)
		m := next.FindStringSubmatch(body)
		switch {
		case tc.want == "" && m != nil:
			t.Errorf("%s: a next example %s", tc.preset, m[1])
		case tc.want != "" && (m == nil || m[1] != tc.want):
			t.Errorf("%s: next example %v, want %s", tc.preset, m, tc.want)
		}
	}
}

// TestLessonPages: every stop answers 200 in both languages with its
// title, next/back links in order, and an unknown stop is a 404 that
// says which stops there are.
func TestLessonPages(t *testing.T) {
	_, srv := newTestServer(t)
	for _, lang := range []string{"en", "ko"} {
		for n := 1; n <= len(lessonStops); n++ {
			resp, body := get(t, nil, srv.URL+lessonURL(n)+"?lang="+lang)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: %d", lang, lessonURL(n), resp.StatusCode)
			}
			if n > 1 && !strings.Contains(body, `rel="prev" href="`+lessonURL(n-1)+`"`) {
				t.Errorf("%s %s: no back link to %s", lang, lessonURL(n), lessonURL(n-1))
			}
			if n < len(lessonStops) && !strings.Contains(body, `rel="next" href="`+lessonURL(n+1)+`"`) {
				t.Errorf("%s %s: no next link to %s", lang, lessonURL(n), lessonURL(n+1))
			}
			if st := lessonStops[n-1]; st.Preset != "" && !strings.Contains(body, `id="conv-data"`) {
				t.Errorf("%s %s: no live visualizer", lang, lessonURL(n))
			}
		}
		for _, bad := range []string{"0", "12", "x", "99999999999999999999"} {
			resp, body := get(t, nil, srv.URL+"/lesson/"+bad+"?lang="+lang)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("/lesson/%s: %d, want 404", bad, resp.StatusCode)
			}
			if lang == "ko" && !hasHangul(body) {
				t.Errorf("/lesson/%s in Korean: no Korean message", bad)
			}
		}
	}
	// A step in the address is kept (a link to a step of a stop).
	_, body := get(t, nil, srv.URL+"/lesson/3?step=5&lang=en")
	if !strings.Contains(body, `data-testid="step-index">5 / 9<`) {
		t.Errorf("/lesson/3?step=5 does not open at step 5")
	}
	// The presenter's stop: only 1..N.
	for _, body := range []string{`{"stop": 0}`, `{"stop": 12}`, `{"stop": "x"}`, `[]`, `{"stop": 2, "step": -1}`, `{"stop": 2, "step": 99999999}`} {
		if resp, b := post(t, srv.URL+"/api/lesson/follow", "application/json", body); resp.StatusCode/100 != 4 {
			t.Errorf("POST /api/lesson/follow %s: %d %s", body, resp.StatusCode, b)
		}
	}
	if resp, b := post(t, srv.URL+"/api/lesson/follow", "application/json", `{"stop": 4}`); resp.StatusCode != 200 {
		t.Errorf("POST /api/lesson/follow {stop: 4}: %d %s", resp.StatusCode, b)
	}
	if _, b := get(t, nil, srv.URL+"/api/lesson/follow"); !strings.Contains(b, `"stop":4`) {
		t.Errorf("GET /api/lesson/follow: %s", b)
	}
}
