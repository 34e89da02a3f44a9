package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
)

// BenchmarkRequestsWhileTraining measures how quickly the server answers
// page requests while the shared run trains in the background (and, for
// comparison, while it is idle). It reports p50/p99 latency; training
// speed while serving is reported as train-img/s.
//
//	go test ./cmd/web -run '^$' -bench RequestsWhileTraining -benchtime 400x
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
				resp, err := client.Get(srv.URL + tc.path)
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
