package server

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestConvPoolPage: every pooling preset renders; the numerical max and
// average pooling give conv_arithmetic's numbers, step by step; the
// formula and the PyTorch line are shown; bad URLs answer 400 in the
// reader's language.
func TestConvPoolPage(t *testing.T) {
	_, srv := newTestServer(t)
	c := srv.Client()
	value := regexp.MustCompile(`data-testid="current-sum">([^<]*)<`)
	for _, tc := range []struct {
		preset string
		want   []string // the output, step by step
		torch  string
	}{
		{"max", []string{"3", "3", "3", "3", "3", "3", "3", "2", "3"}, "nn.MaxPool2d(kernel_size=3, stride=1)"},
		{"avg", []string{"1.67", "1.67", "1.67", "1", "1.22", "1.78", "1.11", "0.78", "1.33"}, "nn.AvgPool2d(kernel_size=3, stride=1)"},
		{"ceil", []string{"3", "3", "1", "3", "2", "3", "2", "0", "1"}, "nn.MaxPool2d(kernel_size=2, ceil_mode=True)"},
	} {
		for i, w := range tc.want {
			res, body := get(t, c, srv.URL+"/conv/pool?preset="+tc.preset+"&step="+strconv.Itoa(i+1))
			m := value.FindStringSubmatch(body)
			if res.StatusCode != 200 || m == nil || m[1] != w {
				t.Errorf("%s step %d: %d, value %v, want %s", tc.preset, i+1, res.StatusCode, m, w)
			}
			if i == 0 && (!strings.Contains(body, tc.torch) || !strings.Contains(body, `data-testid="formula"`)) {
				t.Errorf("%s: no %s or formula", tc.preset, tc.torch)
			}
		}
	}
	for _, p := range []string{"mnist", "avg-padding", "dilation"} {
		if res, body := get(t, c, srv.URL+"/conv/pool?preset="+p); res.StatusCode != 200 || !strings.Contains(body, "pool-output") {
			t.Errorf("preset %s: %d", p, res.StatusCode)
		}
	}
	res, body := get(t, c, srv.URL+"/conv/pool?preset=max")
	if res.StatusCode != 200 || strings.Count(body, `class="cell real win tap winner"`) != 1 {
		t.Errorf("the first window's max is not marked once")
	}
	for _, tc := range []struct{ q, want string }{
		{"op=min_pool&lang=en", "max_pool or avg_pool"},
		{"op=avg_pool&dilation=2&lang=en", "no dilation"},
		{"op=max_pool&kernel=2&padding=2&lang=ko", "패딩"},
		{"input=40&lang=en", "out of range"},
	} {
		res, body := get(t, c, srv.URL+"/conv/pool?"+tc.q)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.q, res.StatusCode, tc.want)
		}
	}
}
