package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/convlab/convlab/internal/quiz"
)

// A seed past 2^53−1 is refused (2^64−1 made "next" wrap to seed 0), and
// "next" after the last seed starts a random question instead of wrapping.
func TestQuizSeedLimits(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/quiz?kind=size&seed=18446744073709551615&lang=en")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "9007199254740991") {
		t.Errorf("seed 2^64-1: %d, want 400 naming the largest seed", resp.StatusCode)
	}
	resp, body = get(t, nil, srv.URL+"/api/quiz?kind=size&seed=9007199254740992")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("seed 2^53 in the API: %d %s", resp.StatusCode, body)
	}
	last := strconv.FormatUint(quiz.MaxSeed, 10)
	resp, body = get(t, nil, srv.URL+"/quiz?kind=size&seed="+last)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the last seed: %d", resp.StatusCode)
	}
	if strings.Contains(body, `seed=0"`) || !strings.Contains(body, `id="quiz-next" href="/quiz?kind=size"`) {
		i := strings.Index(body, `id="quiz-next"`)
		t.Errorf("next after the last seed: %s", body[i:min(len(body), i+120)])
	}
	_, body = get(t, nil, srv.URL+"/quiz?kind=size&seed=41")
	if !strings.Contains(body, `id="quiz-next" href="/quiz?kind=size&amp;seed=42"`) {
		t.Errorf("next after 41 is not 42")
	}
}

// "NaN" is not an answer: 400, not "wrong".
func TestQuizRefusesNaN(t *testing.T) {
	_, srv := newTestServer(t)
	for _, a := range []string{"NaN", "Inf", "1_0"} {
		resp, body := post(t, srv.URL+"/api/quiz/check?lang=en", "application/json", `{"kind":"size","seed":1,"answer":"`+a+`"}`)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("answer %q: %d %s, want 400", a, resp.StatusCode, body)
		}
	}
}
