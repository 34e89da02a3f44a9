package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
)

// predictBody is a 28×28 image with a vertical bar (a "1"), unprocessed.
var predictBody = func() string {
	var b strings.Builder
	b.WriteString(`{"image":[`)
	for i := range 784 {
		if i > 0 {
			b.WriteByte(',')
		}
		if x := i % 28; x >= 13 && x <= 15 && i/28 >= 4 && i/28 < 24 {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	}
	b.WriteString(`]}`)
	return b.String()
}()

// BenchmarkRequestsWhileTraining measures how quickly the server answers
// page requests while the shared run trains in the background (and, for
// comparison, while it is idle): pages and predictions with the shipped
// model. It reports p50/p99 latency.
//
//	go test ./internal/server -run '^$' -bench RequestsWhileTraining -benchtime 400x
func BenchmarkRequestsWhileTraining(b *testing.B) {
	if _, err := mnist.Locate("", os.Getenv); err != nil {
		b.Skipf("MNIST data not available: %v", err)
	}
	for _, tc := range []struct {
		name  string
		train bool
		path  string
	}{
		{"idle/healthz", false, "/healthz"},
		{"training/healthz", true, "/healthz"},
		{"idle/train-page", false, "/train"},
		{"training/train-page", true, "/train"},
		{"idle/predict", false, "/api/predict"},
		{"training/predict", true, "/api/predict"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, srv := newTestServer(b)
			if tc.train {
				cfg := live.DefaultConfig()
				if _, err := a.train.Start(context.Background(), &cfg); err != nil {
					b.Fatal(err)
				}
				for a.train.LiveNet() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(500 * time.Millisecond)
			}
			client := &http.Client{}
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				var resp *http.Response
				var err error
				if tc.path == "/api/predict" {
					resp, err = client.Post(srv.URL+tc.path, "application/json", strings.NewReader(predictBody))
				} else {
					resp, err = client.Get(srv.URL + tc.path)
				}
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", tc.path, resp.StatusCode)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			a.train.Pause()
		})
	}
}
