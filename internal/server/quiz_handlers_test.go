package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/quiz"
)

// TestQuizAPIAnswers: for every kind and many seeds, the question the API
// gives does not reveal its answer, and the check accepts exactly the
// number the engine computes (worked out here from the question's own
// numbers) and explains it with those numbers.
func TestQuizAPIAnswers(t *testing.T) {
	_, srv := newTestServer(t)
	for _, kind := range quiz.Kinds {
		for seed := 0; seed < 12; seed++ {
			resp, body := get(t, nil, fmt.Sprintf("%s/api/quiz?kind=%s&seed=%d&lang=en", srv.URL, kind, seed))
			if resp.StatusCode != 200 {
				t.Fatalf("%s %d: %d %s", kind, seed, resp.StatusCode, body)
			}
			var q quiz.Question
			var extra struct {
				Prompt string `json:"prompt"`
			}
			if err := json.Unmarshal([]byte(body), &q); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal([]byte(body), &extra)
			if extra.Prompt == "" || strings.Contains(body, "answer") || strings.Contains(body, "Answer") {
				t.Errorf("%s %d: question %s (no prompt, or the answer shows)", kind, seed, body)
			}
			want, explain := expectedQuizAnswer(t, &q)
			check := func(answer string) (int, map[string]any) {
				b, _ := json.Marshal(map[string]any{"kind": kind, "seed": seed, "answer": answer})
				resp, body := post(t, srv.URL+"/api/quiz/check?lang=en", "application/json", string(b))
				var m map[string]any
				_ = json.Unmarshal([]byte(body), &m)
				return resp.StatusCode, m
			}
			st, m := check(want)
			if st != 200 || m["correct"] != true || m["message"] != "Right!" {
				t.Errorf("%s %d: right answer %s: %d %v", kind, seed, want, st, m)
			}
			if ex, _ := m["explanation"].(string); !strings.Contains(ex, explain) {
				t.Errorf("%s %d: explanation %q lacks %q", kind, seed, ex, explain)
			}
			if u, _ := m["conv_url"].(string); !strings.HasPrefix(u, "/conv?") {
				t.Errorf("%s %d: conv_url %q", kind, seed, u)
			}
			st, m = check("999")
			if st != 200 || m["correct"] != false || !strings.Contains(fmt.Sprint(m["message"]), "the answer is") {
				t.Errorf("%s %d: wrong answer: %d %v", kind, seed, st, m)
			}
		}
	}
}

// expectedQuizAnswer works the answer out from the question's numbers:
// PyTorch's size formula, the padding that keeps the size, or the
// engine's output (ForwardNaive) at the asked cell.
func expectedQuizAnswer(t *testing.T, q *quiz.Question) (answer, explanation string) {
	t.Helper()
	switch q.Kind {
	case quiz.KindSize:
		n := (q.Input+2*q.Padding-q.Dilation*(q.Kernel-1)-1)/q.Stride + 1
		return fmt.Sprint(n), fmt.Sprintf("= %d", n)
	case quiz.KindPadding:
		p := q.Dilation * (q.Kernel - 1) / 2
		return fmt.Sprint(p), fmt.Sprintf("/2 = %d", p)
	}
	g, err := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{q.Kernel, q.Kernel},
		Stride: [2]int{q.Stride, q.Stride}, Padding: [2]int{q.Padding, q.Padding}}.Resolve(q.Input, q.Input)
	if err != nil {
		t.Fatal(err)
	}
	var x, w []float32
	for _, r := range q.X {
		x = append(x, r...)
	}
	for _, r := range q.W {
		w = append(w, r...)
	}
	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, x, w, nil, 1)
	v := y[q.OutY*g.OutW+q.OutX]
	return quiz.FormatNum(v), "= " + quiz.FormatNum(v)
}

func TestQuizAPIBadInput(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ url, want string }{
		{"/api/quiz?kind=colour", "kind must be"},
		{"/api/quiz?kind=size&seed=-1", "seed must be"},
		{"/api/quiz?kind=size&seed=abc", "seed must be"},
	} {
		resp, body := get(t, nil, srv.URL+tc.url)
		if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %s", tc.url, resp.StatusCode, body)
		}
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"kind": "size", "answer": "3"}`, 400, "seed is missing"},
		{`{"kind": "size", "seed": 1, "answer": "three"}`, 400, "Type a number"},
		{`{"kind": "bad", "seed": 1, "answer": "3"}`, 400, "kind must be"},
		{`{"kind": "size", "seed": 1, "answer": "` + strings.Repeat("9", 100) + `"}`, 400, "too long"},
		{`{"kind": "size", "seed": "1"}`, 400, "seed"},
		{`[1, 2]`, 400, "the body must be a JSON object, got an array"},
		{`{"kind": "size", "seed": 1, "answer": "` + strings.Repeat("9", 5000) + `"}`, 413, "too large"},
	} {
		resp, body := post(t, srv.URL+"/api/quiz/check?lang=en", "application/json", tc.body)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("POST %.60s: %d %s, want %d %q", tc.body, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if resp, body := get(t, nil, srv.URL+"/quiz?kind=colour&lang=en"); resp.StatusCode != 400 || !strings.Contains(body, "kind must be") {
		t.Errorf("/quiz?kind=colour: %d", resp.StatusCode)
	}
}

// TestQuizPageWithoutScript: the page checks an answer itself (?answer=)
// in the chosen language, with the explanation and a visualizer link.
func TestQuizPageWithoutScript(t *testing.T) {
	_, srv := newTestServer(t)
	q, err := quiz.New(quiz.KindCell, 5)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := expectedQuizAnswer(t, q)
	resp, body := get(t, nil, srv.URL+"/quiz?kind=cell&seed=5&lang=ko&answer="+url.QueryEscape(want))
	if resp.StatusCode != 200 || !strings.Contains(body, "정답입니다!") || !strings.Contains(body, q.Products()) {
		t.Errorf("right answer page: %d, want 정답입니다! and %q", resp.StatusCode, q.Products())
	}
	if !strings.Contains(body, `href="/conv?`) || !strings.Contains(body, `<html lang="ko">`) {
		t.Errorf("right answer page lacks the visualizer link or lang=ko")
	}
	_, body = get(t, nil, srv.URL+"/quiz?kind=size&seed=5&lang=en&answer=0")
	if !strings.Contains(body, "Not quite") {
		t.Errorf("wrong answer page lacks 'Not quite'")
	}
	_, body = get(t, nil, srv.URL+"/quiz?kind=size&seed=5&lang=en&answer=abc")
	if !strings.Contains(body, "Type a number") {
		t.Errorf("non-number answer page lacks the message")
	}
	// The cell question draws the input with its padding, the kernel and
	// the asked cell.
	_, body = get(t, nil, srv.URL+"/quiz?kind=cell&seed=5&lang=en")
	if !strings.Contains(body, `class="asked"`) || strings.Count(body, `class="k"`) != q.Kernel*q.Kernel {
		t.Errorf("cell question page does not draw the kernel and the asked cell")
	}
}

// The card shows the seed as a problem code a teacher can read out, not
// as "problem 13600", which reads as the 13,600th question (QA finding 15).
func TestQuizNumberIsACode(t *testing.T) {
	_, srv := newTestServer(t)
	re := regexp.MustCompile(`<p class="quiz-number">([^<]*)</p>`)
	for _, tc := range []struct{ lang, want string }{
		{"en", "Problem code 13600"},
		{"ko", "문제 코드 13600"},
	} {
		_, body := get(t, nil, srv.URL+"/quiz?kind=size&seed=13600&lang="+tc.lang)
		m := re.FindStringSubmatch(body)
		if m == nil || strings.TrimSpace(m[1]) != tc.want {
			t.Errorf("%s: quiz number %v, want %q", tc.lang, m, tc.want)
		}
	}
}
