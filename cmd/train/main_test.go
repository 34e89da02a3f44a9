package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convlab/convlab/mnist"
)

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-net", "vgg"}, "unknown network"},
		{[]string{"-epochs", "0"}, "-epochs"},
		{[]string{"-target", "98"}, "-target"},
		{[]string{"-lr", "-1"}, "learning rate"},
		{[]string{"-batch", "0"}, "batch size"},
		{[]string{"-optimizer", "lbfgs"}, "optimizer"},
		{[]string{"extra"}, "unexpected"},
		{[]string{"-augment", "-shift", "2"}, "not both"},
		{[]string{"-lr-decay", "1.5"}, "decay"},
	} {
		_, err := parse(tc.args, new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	o, err := parse([]string{"-net", "small", "-optimizer", "sgd"}, new(bytes.Buffer))
	if err != nil || o.cfg.LR != 0.01 || o.epochs != 3 || o.cfg.Seed != 1 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
}

func TestMissingMNISTSaysWhatToRun(t *testing.T) {
	env := map[string]string{"MNIST_DIR": filepath.Join(t.TempDir(), "nothing")}
	err := run(context.Background(), []string{"-net", "small"}, func(k string) string { return env[k] }, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "MNIST_DIR") {
		t.Errorf("err = %v", err)
	}
}

// A tiny run end to end: progress, per-epoch accuracy, -target, the saved model.
func TestTrainSmallSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST and trains: -short")
	}
	if _, err := mnist.Locate("", os.Getenv); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("MNIST files not available (CI fails here instead): %v", err)
	}
	out := filepath.Join(t.TempDir(), "small.safetensors")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-net", "small", "-epochs", "2", "-limit", "1000", "-out", out,
		"-target", "0.6", "-eval-every", "5"}, os.Getenv, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	s := stdout.String()
	t.Log(s)
	for _, want := range []string{"training small", "reached", "wall time", "saved " + out} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(stderr.String(), "img/s") || !strings.Contains(stderr.String(), "ETA") {
		t.Errorf("no progress bar: %q", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := mnist.LoadNet(b); err != nil || n.Preset() != "small" {
		t.Fatalf("saved model: %v", err)
	}
}

// Into a file or pipe the progress is plain lines: one every plainEvery
// and one at each epoch's end, no carriage returns.
func TestProgressPlainWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf, 2, 100)
	if b.tty {
		t.Fatal("a bytes.Buffer taken for a terminal")
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return clock }
	step := func(i int, force bool) {
		p := mnist.Progress{Step: i, Epoch: 1 + (i-1)/100, EpochProgress: float64((i-1)%100+1) / 100,
			Images: 100 * i, ImagesPerSecond: 1000, RunningLoss: 0.5, LR: 0.001}
		b.update(p, force)
	}
	// 200 steps, 100 ms apart: 20 s of training, two epochs.
	for i := 1; i <= 200; i++ {
		clock = clock.Add(100 * time.Millisecond)
		step(i, i%100 == 0)
	}
	b.clear()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("carriage returns in non-terminal output: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// Every 5 s (at 5, 10, 15, 20 s) plus the two epoch ends (10 s is
	// also the end of epoch 1, 20 s of epoch 2: forced, and they reset
	// the timer).
	if len(lines) < 4 || len(lines) > 6 {
		t.Fatalf("%d lines, want 4 to 6:\n%s", len(lines), out)
	}
	for _, want := range []string{"epoch 1/2 100%", "epoch 2/2 100%"} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q at an epoch's end:\n%s", want, out)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "epoch ") || !strings.Contains(l, "img/s") || !strings.Contains(l, "ETA") {
			t.Errorf("line %q", l)
		}
	}
}

// On a terminal the bar redraws one line with \r.
func TestProgressRedrawsOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf, 1, 10)
	b.tty = true
	clock := time.Now()
	b.now = func() time.Time { return clock }
	for i := 1; i <= 10; i++ {
		clock = clock.Add(time.Second)
		b.update(mnist.Progress{Step: i, Epoch: 1, EpochProgress: float64(i) / 10, Images: i, ImagesPerSecond: 1}, i == 10)
	}
	b.clear()
	out := buf.String()
	if strings.Count(out, "\r") < 10 || strings.Contains(out, "\n") {
		t.Errorf("terminal output should be \\r redraws without newlines: %q", out)
	}
}
