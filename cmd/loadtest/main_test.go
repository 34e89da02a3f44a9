package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers the mix: pages, a conv API that checks the body, a
// 500 on /broken, and an event stream sending an event every 10 ms.
func fakeServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var streams atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) })
	mux.HandleFunc("POST /api/conv", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !json.Valid(b) || !strings.Contains(string(b), `"trace":true`) {
			http.Error(w, "bad", 400)
			return
		}
		fmt.Fprint(w, `{"output":[[[8]]]}`)
	})
	mux.HandleFunc("GET /{p...}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "page") })
	mux.HandleFunc("POST /api/predict", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v struct{ Image []float64 }
		if json.Unmarshal(b, &v) != nil || len(v.Image) != 784 {
			http.Error(w, "bad", 400)
			return
		}
		fmt.Fprint(w, `{"digit":0}`)
	})
	var gifs atomic.Int32
	mux.HandleFunc("GET /animations/custom.gif", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("input") == "" {
			http.Error(w, "no query", 400)
			return
		}
		if gifs.Add(1)%2 == 0 { // every other one: busy
			w.Header().Set("Retry-After", "2")
			http.Error(w, "busy", 503)
			return
		}
		fmt.Fprint(w, "GIF89a")
	})
	streamHandler := func(w http.ResponseWriter, r *http.Request) {
		streams.Add(1)
		defer streams.Add(-1)
		w.Header().Set("Content-Type", "text/event-stream")
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				fmt.Fprint(w, "event: progress\ndata: {\"step\":1}\n\n")
				w.(http.Flusher).Flush()
			}
		}
	}
	mux.HandleFunc("GET /api/train/events", streamHandler)
	mux.HandleFunc("GET /api/follow/events", streamHandler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &streams
}

func TestLoad(t *testing.T) {
	srv, streams := fakeServer(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-c", "8", "-d", "400ms", "-sse", "5", "-json",
		"-mix", "/,/healthz,POST /api/conv,/broken"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	if rep.Requests < 8 || rep.RPS <= 0 || rep.P50 <= 0 || rep.P99 < rep.P50 || rep.Max < rep.P99 {
		t.Errorf("implausible report: %+v", rep)
	}
	// Exactly the /broken requests are errors (the conv body was accepted: no 400 counted, and 4xx is not an error anyway).
	broken := rep.PerTarget["GET /broken"].N
	if broken == 0 || rep.Errors != broken || rep.ErrorKinds["status 500"] != broken {
		t.Errorf("errors %d (%v), want the %d /broken requests", rep.Errors, rep.ErrorKinds, broken)
	}
	if s := rep.SSE; s == nil || s.Connected != 5 || s.Events < 5 || s.Starved != 0 || s.Errors != 0 {
		t.Errorf("SSE report %+v, want 5 viewers all receiving events", rep.SSE)
	}
	// The viewers hung up at the end.
	deadline := time.Now().Add(5 * time.Second)
	for streams.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := streams.Load(); n != 0 {
		t.Errorf("%d streams still open after the run", n)
	}
}

func TestTextReport(t *testing.T) {
	srv, _ := fakeServer(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-url", srv.URL, "-c", "2", "-d", "100ms", "-mix", "/healthz"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"req/s", "p50", "p99", "errors: 0", "GET /healthz"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://192.0.2.1:8080", "http://8.8.8.8", "ftp://127.0.0.1", "not a url"} {
		if err := run(context.Background(), []string{"-url", u, "-d", "10ms"}, io.Discard); err == nil {
			t.Errorf("-url %s accepted", u)
		}
	}
	for _, args := range [][]string{{"-c", "0"}, {"-d", "-1s"}, {"-mix", "nope"}, {"-sse", "-1"}} {
		if err := run(context.Background(), append(args, "-url", "http://127.0.0.1:1"), io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// The mixed profile: every kind of request, viewers on both streams, slow
// clients, 503s counted as busy (not errors), and the server's memory.
func TestMixedProfile(t *testing.T) {
	srv, _ := fakeServer(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-profile", "mixed", "-c", "4", "-d", "500ms", "-sse", "6",
		"-pid", fmt.Sprint(os.Getpid()), "-settle", "0", "-json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"POST /api/conv", "POST /api/predict", "GET /animations/custom.gif?…", "GET /conv", "GET /animations/dilation.gif"} {
		if rep.PerTarget[k].N == 0 {
			t.Errorf("no %s requests: %v", k, rep.PerTarget)
		}
	}
	if rep.Errors != 0 || rep.Busy == 0 {
		t.Errorf("errors %d %v, busy %d: want the fake's 503s counted as busy only", rep.Errors, rep.ErrorKinds, rep.Busy)
	}
	if s := rep.SSE; s == nil || s.Connected != 6 || s.Starved != 0 {
		t.Errorf("SSE %+v", rep.SSE)
	}
	if s := rep.Slow; s == nil || s.Clients != 4 || s.Connections < 4 {
		t.Errorf("slow clients %+v, want 4 (the profile's default)", rep.Slow)
	}
	if m := rep.Memory; m == nil || m.PeakRSS <= 0 || m.PeakHWM < m.StartRSS {
		t.Errorf("memory %+v", rep.Memory)
	}
}
