// Command loadtest hammers a running convlab server on loopback and reports
// requests per second, latency percentiles and errors:
//
//	go run ./cmd/web &
//	go run ./cmd/loadtest -c 200 -d 15s -sse 100
//
// Workers cycle through a mix of pages, static assets and POST /api/conv;
// -sse opens that many Server-Sent Events viewers of /api/train/events for
// the whole run. It refuses any host that is not loopback: it is a test
// tool for your own machine, not a way to load someone else's server.
//
// -profile mixed is a classroom at once: pages, POST /api/conv, POST
// /api/predict, custom GIFs (many different ones, so they are rendered,
// not only served from the cache), 300 event-stream viewers (training and
// follow-along), and -slow clients that send a request's headers and one
// byte of its body, then nothing:
//
//	go run ./cmd/loadtest -profile mixed -d 30s -pid $(pgrep -n web)
//
// -pid samples that process's resident memory (/proc/PID/status) for the
// report. A 503 with Retry-After (the server's admission control saying
// "busy") is counted apart from errors.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// lessonConv is the lesson's 5x5 example with a trace: a typical visualizer request.
const lessonConv = `{"input":[[[1,2,3,4,5],[0,1,5,2,1],[1,0,2,1,0],[3,1,0,2,2],[0,4,1,1,3]]],` +
	`"weight":[[[[1,0,1],[0,1,0],[1,0,1]]]],"padding":1,"trace":true}`

// predictBody is a blank 28×28 drawing for POST /api/predict.
var predictBody = `{"image":[` + strings.Repeat("0,", 783) + `0]}`

// gifVariants are different custom animations (cache misses until each
// was rendered once), from tiny to 1200-pixel-wide ones.
func gifVariants() []string {
	var vs []string
	for in := 5; in <= 20; in++ {
		for k := 2; k <= 4; k++ {
			for s := 1; s <= 2; s++ {
				for p := 0; p <= 1; p++ {
					vs = append(vs, fmt.Sprintf("/animations/custom.gif?input=%d&kernel=%d&stride=%d&padding=%d", in, k, s, p))
				}
			}
		}
	}
	return vs
}

// mixedProfile is -profile mixed's request mix ("GIF" rotates through
// gifVariants).
const mixedProfile = "/,/conv,/animations,/draw,/quiz,/static/css/app.css,/healthz," +
	"POST /api/conv,POST /api/predict,GIF,/animations/dilation.gif"

// target is one request of the mix. Variants, when set, are used in turn
// instead of Path.
type target struct {
	Method, Path, Body string
	Variants           []string
	next               *atomic.Int64
}

func (t target) path() string {
	if len(t.Variants) == 0 {
		return t.Path
	}
	return t.Variants[int(t.next.Add(1)-1)%len(t.Variants)]
}

func (t target) String() string { return t.Method + " " + t.Path }

func parseMix(s string) ([]target, error) {
	var ts []target
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		t := target{Method: http.MethodGet, Path: item}
		if item == "GIF" {
			t = target{Method: http.MethodGet, Path: "/animations/custom.gif?…", Variants: gifVariants(), next: new(atomic.Int64)}
		}
		if p, ok := strings.CutPrefix(item, "POST "); ok {
			t = target{Method: http.MethodPost, Path: strings.TrimSpace(p)}
			switch t.Path {
			case "/api/conv":
				t.Body = lessonConv
			case "/api/predict":
				t.Body = predictBody
			}
		}
		if !strings.HasPrefix(t.Path, "/") {
			return nil, fmt.Errorf("path %q must start with /", t.Path)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, errors.New("empty -mix")
	}
	return ts, nil
}

// checkLoopback refuses a URL whose host is not a loopback address.
func checkLoopback(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("-url: %v", err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return nil, fmt.Errorf("-url host %s is %s, not loopback: loadtest only targets this machine", host, ip.IP)
		}
	}
	return u, nil
}

// Report is the outcome of a run.
type Report struct {
	Duration    time.Duration      `json:"duration"`
	Concurrency int                `json:"concurrency"`
	Requests    int                `json:"requests"`
	RPS         float64            `json:"rps"`
	P50         time.Duration      `json:"p50"`
	P90         time.Duration      `json:"p90"`
	P99         time.Duration      `json:"p99"`
	Max         time.Duration      `json:"max"`
	Errors      int                `json:"errors"`
	ErrorKinds  map[string]int     `json:"error_kinds,omitempty"`
	Busy        int                `json:"busy"` // 503 with Retry-After: refused by admission control, not an error
	Slow        *SlowReport        `json:"slow,omitempty"`
	Memory      *MemoryReport      `json:"memory,omitempty"`
	PerTarget   map[string]Latency `json:"per_target"`
	SSE         *SSEReport         `json:"sse,omitempty"`
}

// Latency summarises one target.
type Latency struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
}

// SSEReport counts the event-stream viewers.
type SSEReport struct {
	Viewers   int   `json:"viewers"`
	Connected int   `json:"connected"`
	Events    int64 `json:"events"`
	Starved   int   `json:"starved"` // viewers that received no event at all
	Errors    int   `json:"errors"`
}

// SlowReport counts the slow clients' connections.
type SlowReport struct {
	Clients     int   `json:"clients"`
	Connections int64 `json:"connections"` // opened (the server closes each after its read timeout)
}

// MemoryReport is the server process's resident memory during the run.
type MemoryReport struct {
	PID      int   `json:"pid"`
	StartRSS int64 `json:"start_rss"` // bytes, before the load
	PeakRSS  int64 `json:"peak_rss"`  // the largest VmRSS sampled
	PeakHWM  int64 `json:"peak_hwm"`  // VmHWM at the end (the kernel's peak, since the process started)
	EndRSS   int64 `json:"end_rss"`   // after the load
	Samples  int   `json:"samples"`
}

type sample struct {
	target int
	dur    time.Duration
	err    string
	busy   bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(out)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "server to test (loopback only)")
	conc := fs.Int("c", 100, "concurrent request workers")
	dur := fs.Duration("d", 10*time.Second, "duration")
	sse := fs.Int("sse", 0, "Server-Sent Events viewers of -sse-path held open during the run")
	ssePath := fs.String("sse-path", "/api/train/events", "event stream path")
	mix := fs.String("mix", "/,/conv,/static/css/app.css,/healthz,POST /api/conv", "comma-separated paths; prefix POST for a POST; GIF rotates through custom animations")
	profile := fs.String("profile", "", `"mixed": a classroom at once (sets -mix, -sse 300 over both streams, -slow 4 unless given)`)
	slow := fs.Int("slow", 0, "slow clients: each sends a POST's headers and 1 byte of its body, then waits")
	pid := fs.Int("pid", 0, "the server's process id, to report its resident memory (Linux /proc)")
	settle := fs.Duration("settle", 5*time.Second, "with -pid: wait this long after the load before the final memory reading")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	sseBoth := false
	switch *profile {
	case "":
	case "mixed":
		if !set["mix"] {
			*mix = mixedProfile
		}
		if !set["sse"] {
			*sse = 300
		}
		if !set["slow"] {
			*slow = 4
		}
		if !set["c"] {
			*conc = 50
		}
		sseBoth = !set["sse-path"]
	default:
		return fmt.Errorf("-profile %q: the only profile is mixed", *profile)
	}
	if *slow < 0 || *slow > 100 {
		return errors.New("-slow must be 0..100")
	}
	if *conc < 1 || *conc > 5000 || *sse < 0 || *sse > 5000 || *dur <= 0 || *dur > time.Hour {
		return errors.New("-c and -sse must be 1..5000 (sse may be 0), -d positive and at most 1h")
	}
	base, err := checkLoopback(ctx, *rawURL)
	if err != nil {
		return err
	}
	targets, err := parseMix(*mix)
	if err != nil {
		return err
	}
	ssePaths := []string{*ssePath}
	if sseBoth {
		ssePaths = []string{"/api/train/events", "/api/follow/events"}
	}
	var mem *memSampler
	if *pid > 0 {
		if mem, err = newMemSampler(*pid); err != nil {
			return err
		}
	}
	rep, err := load(ctx, base, targets, options{conc: *conc, dur: *dur, sse: *sse, ssePaths: ssePaths, slow: *slow, mem: mem, settle: *settle})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(out, rep, targets)
	return nil
}

// options of one load run.
type options struct {
	conc     int
	dur      time.Duration
	sse      int
	ssePaths []string // viewers are spread over these
	slow     int
	mem      *memSampler
	settle   time.Duration
}

func load(ctx context.Context, base *url.URL, targets []target, o options) (*Report, error) {
	conc, dur, sseViewers := o.conc, o.dur, o.sse
	transport := &http.Transport{
		MaxIdleConns:        conc + sseViewers + 10,
		MaxIdleConnsPerHost: conc + sseViewers + 10,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	runCtx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()

	// SSE viewers first, so the requests run while they watch.
	var sseRep *SSEReport
	var sseWG sync.WaitGroup
	var sseEvents atomic.Int64
	var sseConnected, sseStarved, sseErrors atomic.Int32
	if sseViewers > 0 {
		sseRep = &SSEReport{Viewers: sseViewers}
		streamClient := &http.Client{Transport: transport} // no timeout: streams last the run
		for i := range sseViewers {
			sseWG.Add(1)
			go func() {
				defer sseWG.Done()
				n, connected, err := watch(runCtx, streamClient, base.JoinPath(o.ssePaths[i%len(o.ssePaths)]).String())
				sseEvents.Add(n)
				if connected {
					sseConnected.Add(1)
				}
				if connected && n == 0 {
					sseStarved.Add(1)
				}
				if err != nil {
					sseErrors.Add(1)
				}
			}()
		}
	}

	var slowRep *SlowReport
	var slowConns atomic.Int64
	if o.slow > 0 {
		slowRep = &SlowReport{Clients: o.slow}
		for range o.slow {
			sseWG.Add(1)
			go func() {
				defer sseWG.Done()
				slowClient(runCtx, base, &slowConns)
			}()
		}
	}
	memDone := make(chan struct{})
	if o.mem != nil {
		go o.mem.run(runCtx, memDone)
	} else {
		close(memDone)
	}

	samples := make([][]sample, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; runCtx.Err() == nil; i++ {
				ti := i % len(targets)
				s := do(runCtx, client, base, targets[ti])
				if runCtx.Err() != nil && s.err != "" {
					break // cut off by the end of the run: not a server error
				}
				s.target = ti
				samples[w] = append(samples[w], s)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sseWG.Wait()

	rep := &Report{Duration: elapsed.Round(time.Millisecond), Concurrency: conc, ErrorKinds: map[string]int{}, PerTarget: map[string]Latency{}}
	var all []time.Duration
	per := make([][]time.Duration, len(targets))
	for _, ss := range samples {
		for _, s := range ss {
			all = append(all, s.dur)
			per[s.target] = append(per[s.target], s.dur)
			if s.busy {
				rep.Busy++
			}
			if s.err != "" {
				rep.Errors++
				rep.ErrorKinds[s.err]++
			}
		}
	}
	rep.Requests = len(all)
	rep.RPS = float64(len(all)) / elapsed.Seconds()
	slices.Sort(all)
	rep.P50, rep.P90, rep.P99, rep.Max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	for i, t := range targets {
		slices.Sort(per[i])
		rep.PerTarget[t.String()] = Latency{N: len(per[i]), P50: pct(per[i], 50), P99: pct(per[i], 99)}
	}
	if sseRep != nil {
		sseRep.Connected = int(sseConnected.Load())
		sseRep.Events = sseEvents.Load()
		sseRep.Starved = int(sseStarved.Load())
		sseRep.Errors = int(sseErrors.Load())
		rep.SSE = sseRep
	}
	if slowRep != nil {
		slowRep.Connections = slowConns.Load()
		rep.Slow = slowRep
	}
	<-memDone
	if o.mem != nil {
		time.Sleep(o.settle) // let the server settle (its memory return after a burst takes 3 s), then the memory after the load
		rep.Memory = o.mem.report()
	}
	if len(rep.ErrorKinds) == 0 {
		rep.ErrorKinds = nil
	}
	return rep, ctx.Err()
}

// do sends one request and reads the whole answer. A status of 500 or more,
// or a transport error, is an error; 4xx is the server doing its job.
func do(ctx context.Context, client *http.Client, base *url.URL, t target) sample {
	var body io.Reader
	if t.Body != "" {
		body = strings.NewReader(t.Body)
	}
	u := *base
	p, q, _ := strings.Cut(t.path(), "?")
	u.Path, u.RawQuery = strings.TrimSuffix(u.Path, "/")+p, q
	req, err := http.NewRequestWithContext(ctx, t.Method, u.String(), body)
	if err != nil {
		return sample{err: "request: " + err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{dur: time.Since(start), err: "transport"}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	switch {
	case err != nil:
		return sample{dur: d, err: "read body"}
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		return sample{dur: d, busy: true} // admission control: the server said when to come back
	case resp.StatusCode >= 500:
		return sample{dur: d, err: fmt.Sprintf("status %d", resp.StatusCode)}
	}
	return sample{dur: d}
}

// slowClient keeps a slow upload open: the headers of POST /api/conv
// with a 1000-byte body, then one byte, then nothing until the server
// hangs up (its read timeout) or the run ends; then again.
func slowClient(ctx context.Context, base *url.URL, conns *atomic.Int64) {
	var d net.Dialer
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", base.Host)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		conns.Add(1)
		fmt.Fprintf(c, "POST /api/conv HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", base.Host)
		stop := context.AfterFunc(ctx, func() { c.Close() })
		io.Copy(io.Discard, c) // until the server or the end of the run closes it
		stop()
		c.Close()
	}
}

// memSampler samples a process's resident memory.
type memSampler struct {
	pid int
	mu  sync.Mutex
	rep MemoryReport
}

func newMemSampler(pid int) (*memSampler, error) {
	m := &memSampler{pid: pid, rep: MemoryReport{PID: pid}}
	rss, _, err := m.read()
	if err != nil {
		return nil, fmt.Errorf("-pid %d: %v", pid, err)
	}
	m.rep.StartRSS, m.rep.PeakRSS = rss, rss
	return m, nil
}

// read returns VmRSS and VmHWM in bytes.
func (m *memSampler) read() (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &v); err == nil {
			rss = v << 10
		} else if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil {
			hwm = v << 10
		}
	}
	return rss, hwm, nil
}

func (m *memSampler) run(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if rss, _, err := m.read(); err == nil {
			m.mu.Lock()
			m.rep.PeakRSS = max(m.rep.PeakRSS, rss)
			m.rep.Samples++
			m.mu.Unlock()
		}
	}
}

func (m *memSampler) report() *MemoryReport {
	rss, hwm, _ := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rep
	r.EndRSS, r.PeakHWM = rss, hwm
	r.PeakRSS = max(r.PeakRSS, rss)
	return &r
}

// watch holds one event stream open until ctx ends, counting events.
func watch(ctx context.Context, client *http.Client, u string) (events int64, connected bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, nil
		}
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte("data:")) { // one data line per event
			events++
		}
	}
	if ctx.Err() != nil {
		return events, true, nil // we hung up at the end of the run
	}
	return events, true, sc.Err()
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func printReport(w io.Writer, r *Report, targets []target) {
	fmt.Fprintf(w, "%d requests in %v with %d workers: %.0f req/s\n", r.Requests, r.Duration, r.Concurrency, r.RPS)
	fmt.Fprintf(w, "latency p50 %v  p90 %v  p99 %v  max %v\n", r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	fmt.Fprintf(w, "errors: %d", r.Errors)
	kinds := make([]string, 0, len(r.ErrorKinds))
	for k := range r.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s×%d", k, r.ErrorKinds[k])
	}
	fmt.Fprintln(w)
	if r.Busy > 0 {
		fmt.Fprintf(w, "busy (503 with Retry-After, admission control): %d\n", r.Busy)
	}
	for _, t := range targets {
		l := r.PerTarget[t.String()]
		fmt.Fprintf(w, "  %-28s n=%-7d p50 %-10v p99 %v\n", t, l.N, l.P50.Round(time.Microsecond), l.P99.Round(time.Microsecond))
	}
	if s := r.SSE; s != nil {
		fmt.Fprintf(w, "SSE: %d/%d viewers connected, %d events received, %d got none, %d errors\n", s.Connected, s.Viewers, s.Events, s.Starved, s.Errors)
	}
	if s := r.Slow; s != nil {
		fmt.Fprintf(w, "slow clients: %d, %d connections opened\n", s.Clients, s.Connections)
	}
	if m := r.Memory; m != nil {
		mb := func(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
		fmt.Fprintf(w, "server RSS (pid %d): start %s, peak %s (VmHWM %s), end %s\n", m.PID, mb(m.StartRSS), mb(m.PeakRSS), mb(m.PeakHWM), mb(m.EndRSS))
	}
}
