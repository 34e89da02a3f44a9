package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
)

// TestBackwardViewSumsAreTheEngine: for the lesson's 5×5 example (and a
// strided, padded one) every step's sum is conv.BackwardNaive's gradient,
// in every phase and for both upstream gradients.
func TestBackwardViewSumsAreTheEngine(t *testing.T) {
	for _, query := range []string{
		"preset=lesson-5x5",
		"input=5x5&kernel=3x3&stride=2x2&padding=1x1&mode=reflect&bias=1",
		"input=4x4&kernel=3x3&stride=2x2&transposed=1",
	} {
		for _, grad := range []string{"ones", "random"} {
			q, _ := url.ParseQuery(query + "&grad=" + grad + "&seed=5")
			l, err := backwardLayer(q)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			g := l.g
			dx, dw, db := make([]float32, g.XLen(1)), make([]float32, g.WeightLen()), make([]float32, g.OutChannels)
			var dy []float32
			for _, phase := range []string{"dw", "dx", "db"} {
				q.Set("phase", phase)
				vm, status := buildBackwardView("en", q)
				if status != 200 || !vm.OK {
					t.Fatalf("%s %s: %d %s", query, phase, status, vm.Error)
				}
				if dy == nil {
					for _, grid := range vm.DY {
						for _, row := range grid.Rows {
							for _, c := range row {
								dy = append(dy, parseF(t, c.Text))
							}
						}
					}
					conv.BackwardNaive(g, dx, dw, db, dy, l.x, l.w, 1)
				}
				want := map[string][]float32{"dw": dw, "dx": dx, "db": db}[phase]
				if len(vm.Data.Steps) != len(want) {
					t.Fatalf("%s %s: %d steps for %d gradients", query, phase, len(vm.Data.Steps), len(want))
				}
				for i, st := range vm.Data.Steps {
					if st.Sum != fmtBW(want[i]) || !strings.HasSuffix(st.Eq, "= "+fmtBW(want[i])) && phase != "dx" {
						t.Fatalf("%s %s step %d: sum %s (%s), Backward %s", query, phase, i+1, st.Sum, st.Eq, fmtBW(want[i]))
					}
					if st.Narr == "" || len(st.HL) == 0 && phase != "dx" {
						t.Fatalf("%s %s step %d: no narration or highlight", query, phase, i+1)
					}
				}
			}
		}
	}
}

func parseF(t *testing.T, s string) float32 {
	t.Helper()
	var f float32
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// TestBackwardPageRefuses: bad parameters of the page are a 400 that says
// what is wrong, in the reader's language.
func TestBackwardPageRefuses(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ query, en, ko string }{
		{"preset=lesson-5x5&grad=zeros", "must be &#34;ones&#34; or &#34;random&#34;", "입력한 값"},
		{"preset=lesson-5x5&lr=5", "learning rate", "학습률"},
		{"preset=lesson-5x5&phase=dz", "dw, dx or db", "dw, dx, db"},
		{"input=32x32&kernel=7x7&stride=8x8&channels=4&filters=4", "products to show", "곱이"},
	} {
		for lang, want := range map[string]string{"en": tc.en, "ko": tc.ko} {
			resp, body := get(t, nil, srv.URL+"/conv/backward?"+tc.query+"&lang="+lang)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
				t.Errorf("%s (%s): %d, want 400 saying %q", tc.query, lang, resp.StatusCode, want)
			}
		}
	}
	resp, body := get(t, nil, srv.URL+"/conv/backward?preset=lesson-5x5")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="backward-data"`) {
		t.Fatalf("lesson: %d", resp.StatusCode)
	}
}

// TestConvLinksToBackward: /conv links to the backward pass of the same
// layer, and that page links back.
func TestConvLinksToBackward(t *testing.T) {
	_, srv := newTestServer(t)
	_, page := get(t, nil, srv.URL+"/conv?preset=lesson-5x5")
	i := strings.Index(page, `data-testid="conv-backward-link"`)
	if i < 0 {
		t.Fatal("/conv has no link to the backward pass")
	}
	j := strings.LastIndex(page[:i], `href="`)
	href := strings.ReplaceAll(page[j+len(`href="`):strings.Index(page[j+len(`href="`):], `"`)+j+len(`href="`)], "&amp;", "&")
	if !strings.HasPrefix(href, "/conv/backward?") {
		t.Fatalf("link %q", href)
	}
	resp, body := get(t, nil, srv.URL+href)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="bw-back"`) || !strings.Contains(body, "backward-data") {
		t.Fatalf("%s: %d", href, resp.StatusCode)
	}
}
