package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
