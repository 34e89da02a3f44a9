package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/internal/admission"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.x): another "client" for the per-client share.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxConnsPerHost: 100}}
}

// customGIFs returns n different valid custom.gif queries made from the
// template's variants (so no two are deduplicated or cached together).
func customGIFs(t testing.TB, n int, inputs, kernels []int, dilations []string, paddings []string) []string {
	t.Helper()
	var qs []string
	for _, in := range inputs {
		for _, k := range kernels {
			for _, d := range dilations {
				for _, pd := range paddings {
					q := fmt.Sprintf("input=%d&kernel=%d&dilation=%s&padding=%s", in, k, d, pd)
					v, _ := url.ParseQuery(q)
					p, err := animations.ParseQuery(v)
					if err != nil {
						continue
					}
					if _, err := animations.Measure(p); err != nil {
						continue
					}
					qs = append(qs, q)
					if len(qs) == n {
						return qs
					}
				}
			}
		}
	}
	t.Fatalf("only %d valid variants, want %d", len(qs), n)
	return nil
}

func fetchStatus(client *http.Client, u string) (int, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// With one client's renders queued, another client's small GIF waits for
// one turn, not for the whole line (it took 15.8 s behind 20 heavy ones).
func TestSmallGIFNotStarved(t *testing.T) {
	cfg := defaultConfig()
	cfg.Work = admission.Options{Slots: 1, Queue: 64, PerClient: 16, Wait: time.Minute}
	a, srv := newTestServerConfig(t, cfg)
	heavy := customGIFs(t, 8, []int{19, 18, 17, 16, 15, 14}, []int{2, 3}, []string{"1"}, []string{"0", "1"})
	alice, bob := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")

	var done atomic.Int32
	var wg sync.WaitGroup
	for _, q := range heavy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, err := fetchStatus(alice, srv.URL+"/animations/custom.gif?"+q); err != nil || code != 200 {
				t.Errorf("alice %s: %d %v", q, code, err)
			}
			done.Add(1)
		}()
	}
	waitFor(t, func() bool { run, wait := a.work.Stats(); return run == 1 && wait >= len(heavy)-2 }, "alice's renders in line")

	code, err := fetchStatus(bob, srv.URL+"/animations/custom.gif?input=5&kernel=3&stride=2")
	finished := done.Load()
	if err != nil || code != 200 {
		t.Fatalf("bob's small GIF: %d %v", code, err)
	}
	// Round-robin: bob is served after the render running when he came and
	// at most one more of alice's.
	if finished > 2 {
		t.Errorf("bob's small GIF came after %d of alice's %d renders", finished, len(heavy))
	}
	wg.Wait()
}

// peakRSSBound is the peak resident memory allowed for the whole test
// process while it serves 12 concurrent heavy custom GIFs: the Go runtime
// and the test binary (~25 MB), the GIF cache (32 MB of encoded images),
// and the renders admitted at once (GOMAXPROCS slots, each ~3 canvases of
// 1200×720 plus its GIF of up to ~3 MB, and garbage not yet collected).
// Before frame-by-frame encoding this reached 545 MB.
const peakRSSBound = 160 << 20

// afterBurstBound is the resident memory allowed once the burst is over.
const afterBurstBound = 96 << 20

// Twelve concurrent heavy custom GIFs keep the process's peak RSS under
// peakRSSBound. It runs in a child process, so the peak (VmHWM) is this
// load's alone.
func TestHeavyGIFsPeakRSS(t *testing.T) {
	if os.Getenv("CONVLAB_RSS_CHILD") == "1" {
		heavyGIFsChild(t)
		return
	}
	if testing.Short() {
		t.Skip("renders 12 heavy GIFs (~30 s of CPU)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeavyGIFsPeakRSS$", "-test.v")
	cmd.Env = append(os.Environ(), "CONVLAB_RSS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm, after int64 = -1, -1
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "RSS" {
			v, _ := strconv.ParseInt(f[2], 10, 64)
			switch f[1] {
			case "peak":
				hwm = v
			case "after":
				after = v
			}
		}
	}
	if hwm < 0 {
		t.Fatalf("the child reported no peak:\n%s", out)
	}
	t.Logf("12 heavy GIFs: peak RSS %.1f MB, %.1f MB after the burst (bound %d MB)",
		float64(hwm)/(1<<20), float64(after)/(1<<20), peakRSSBound>>20)
	if hwm > peakRSSBound {
		t.Errorf("peak RSS %d bytes, want at most %d", hwm, peakRSSBound)
	}
	// After the burst the memory goes back (it stayed at 625 MB for
	// minutes): what is left is the runtime, the test and the GIF cache.
	if after > afterBurstBound {
		t.Errorf("RSS after the burst %d bytes, want at most %d", after, afterBurstBound)
	}
}

// heavyGIFsChild serves 12 concurrent heavy GIFs and prints the peak RSS.
func heavyGIFsChild(t *testing.T) {
	cfg := defaultConfig()
	cfg.Work.Wait = 5 * time.Minute // all twelve are rendered (two at a time on two cores)
	_, srv := newTestServerConfig(t, cfg)
	qs := customGIFs(t, 12, []int{32}, []int{9}, []string{"6x5", "5x6", "6x6", "6x4", "4x6", "6x3", "3x6"},
		[]string{"16x16", "15x16", "16x15", "15x15"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/animations/custom.gif?"+q, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("%s: %v", q, err)
				return
			}
			defer resp.Body.Close()
			n, _ := io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 || n < 100_000 {
				t.Errorf("%s: %d, %d bytes", q, resp.StatusCode, n)
			}
		}()
	}
	wg.Wait()
	time.Sleep(returnMemoryAfter + time.Second) // the memory return after a burst (memory.go)
	fmt.Printf("RSS peak %d\n", procStatus(t, "VmHWM"))
	fmt.Printf("RSS after %d\n", procStatus(t, "VmRSS"))
}

// procStatus reads a "kB" field of /proc/self/status, in bytes.
func procStatus(t testing.TB, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			v, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
