package server

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
)

// synthTrainApp is an app whose training run uses synthetic data and
// checkpoints to path.
func synthTrainApp(t *testing.T, path string) (*app, string) {
	t.Helper()
	cfg := defaultConfig()
	cfg.CheckpointPath = path
	a, url, _, _ := startApp(t, cfg)
	train, test := mnist.RandomSet(256, 1), mnist.RandomSet(64, 2)
	a.train.Close()
	a.train = live.New(live.Options{
		Factory: func(_ context.Context, c live.Config) (live.Engine, error) {
			return live.NewMNISTEngine(c, train, test)
		},
		Checkpoint: path, EvalSample: 10, Log: slog.New(slog.DiscardHandler),
	})
	return a, url
}

// A checkpoint that cannot be written says why and what to do (it was a
// bare 500, the cause only in the log).
func TestCheckpointSaveFailureSaysWhy(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		status     int
		want, ko   string
	}{
		// Root may write anywhere it has a folder, so the unwritable
		// folders are ones that cannot hold a file at all.
		{"parent is a file", filepath.Join(file, "run.safetensors"), http.StatusConflict, "is a file, not a folder", "폴더가 아니라 파일"},
		{"missing folder", filepath.Join(dir, "gone", "run.safetensors"), http.StatusConflict, "the folder does not exist: " + filepath.Join(dir, "gone"), "폴더가 없습니다"},
		{"path is a folder", dir, http.StatusConflict, "is a folder, a device or a pipe", "파일이 아니라"},
	}
	if fi, err := os.Stat("/sys/kernel"); err == nil && fi.IsDir() {
		cases = append(cases, struct {
			name, path string
			status     int
			want, ko   string
		}{"sysfs", "/sys/kernel/convlab-run.safetensors", http.StatusConflict, "may not write in the folder /sys/kernel", "쓸 권한이 없습니다"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, url := synthTrainApp(t, tc.path)
			if resp, body := post(t, url+"/api/train/start", "application/json", `{"net":"small","batch_size":16}`); resp.StatusCode != 200 {
				t.Fatalf("start: %d %s", resp.StatusCode, body)
			}
			for _, lang := range []struct{ tag, want string }{{"en", tc.want}, {"ko", tc.ko}} {
				var resp *http.Response
				var body string
				for deadline := time.Now().Add(10 * time.Second); ; {
					resp, body = post(t, url+"/api/train/checkpoint", "application/json", "", "Accept-Language", lang.tag)
					if !strings.Contains(body, "no run") || time.Now().After(deadline) {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				if resp.StatusCode != tc.status || !strings.Contains(body, lang.want) {
					t.Errorf("%s (%s): %d %s, want %d with %q", tc.path, lang.tag, resp.StatusCode, body, tc.status, lang.want)
				}
			}
			if fi, err := os.Stat(tc.path); err == nil && !fi.IsDir() && tc.path != file {
				t.Errorf("%s was written", tc.path)
			}
		})
	}
}
