package mnist

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// realDir finds the canonical MNIST files. In CI (env CI set) their absence
// is a failure: .ci/run downloads the module, so a miss means Locate broke.
func realDir(t testing.TB) string {
	t.Helper()
	dir, err := Locate("", os.Getenv)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the MNIST files are missing: %v", err)
		}
		t.Skipf("MNIST files not available (run `%s`): %v", DownloadHint, err)
	}
	return dir
}

var (
	realMu              sync.Mutex
	realOnce            bool
	realTrain, realTest *Set
)

// loadReal loads the canonical data once per test binary (safe for
// parallel tests). The sets are shared: do not modify them.
func loadReal(t testing.TB) (train, test *Set) {
	t.Helper()
	realMu.Lock()
	defer realMu.Unlock()
	if !realOnce {
		dir := realDir(t)
		tr, te, err := LoadDir(dir)
		if err != nil {
			t.Fatalf("LoadDir(%s): %v", dir, err)
		}
		realTrain, realTest, realOnce = tr, te, true
	}
	return realTrain, realTest
}

func TestLoadDirCanonical(t *testing.T) {
	train, test := loadReal(t)
	for _, c := range []struct {
		name string
		s    *Set
		n    int
	}{{"train", train, 60000}, {"test", test, 10000}} {
		s := c.s
		if s.N != c.n || len(s.Labels) != c.n || len(s.Pix) != c.n*Pixels {
			t.Fatalf("%s: N=%d labels=%d pixels=%d, want %d images of %d pixels", c.name, s.N, len(s.Labels), len(s.Pix), c.n, Pixels)
		}
		var counts [10]int
		for _, l := range s.Labels {
			counts[l]++
		}
		// Every digit is well represented (MNIST has 5421..6742 per class in train).
		for d, k := range counts {
			if k < c.n/12 || k > c.n/8 {
				t.Errorf("%s: digit %d appears %d times, implausible for MNIST", c.name, d, k)
			}
		}
		var lo, hi float32 = 1, 0
		var sum float64
		img := make([]float32, Pixels)
		for i := range s.N {
			s.ImageInto(img, i)
			for _, v := range img {
				lo, hi = min(lo, v), max(hi, v)
				sum += float64(v)
			}
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixel range [%v, %v], want [0, 1]", c.name, lo, hi)
		}
		// MNIST's mean pixel is 0.1307 (train) / 0.1325 (test), the numbers
		// behind transforms.Normalize((0.1307,), (0.3081,)).
		mean := sum / float64(len(s.Pix))
		if mean < 0.125 || mean > 0.14 {
			t.Errorf("%s: mean pixel %.4f, want about 0.13", c.name, mean)
		}
	}
	// The well-known first labels of each file.
	if got := train.Labels[:8]; !bytes.Equal(got, []byte{5, 0, 4, 1, 9, 2, 1, 3}) {
		t.Errorf("first train labels %v, want [5 0 4 1 9 2 1 3]", got)
	}
	if got := test.Labels[:8]; !bytes.Equal(got, []byte{7, 2, 1, 0, 4, 1, 4, 9}) {
		t.Errorf("first test labels %v, want [7 2 1 0 4 1 4 9]", got)
	}
	// The corners of an MNIST digit are always background.
	for i := range test.N {
		img := test.Image(i)
		if img[0] != 0 || img[27] != 0 || img[27*28] != 0 || img[783] != 0 {
			t.Fatalf("test image %d has ink in a corner", i)
		}
	}
}

// BenchmarkLoadDir loads all 70,000 images. cpu-ns/op is the CPU time
// spent (both cores together), which a busy machine inflates less than
// ns/op.
func BenchmarkLoadDir(b *testing.B) {
	dir := realDir(b)
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// writeSetFiles writes a small MNIST-shaped folder: train and test images
// (gzipped) and labels (raw), so both forms are exercised.
func writeSetFiles(t *testing.T, dir string, trainImg, trainLbl, testImg, testLbl []byte) {
	t.Helper()
	for name, data := range map[string][]byte{
		"train-images-idx3-ubyte.gz": gz(trainImg),
		"train-labels-idx1-ubyte":    trainLbl,
		"t10k-images-idx3-ubyte.gz":  gz(testImg),
		"t10k-labels-idx1-ubyte":     testLbl,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDirStructure(t *testing.T) {
	good := func() (a, b, c, d []byte) {
		return idxImages(3, 28, 28), idxLabels(1, 2, 3), idxImages(2, 28, 28), idxLabels(9, 0)
	}
	t.Run("valid", func(t *testing.T) {
		dir := t.TempDir()
		a, b, c, d := good()
		writeSetFiles(t, dir, a, b, c, d)
		train, test, err := loadDir(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if train.N != 3 || test.N != 2 || !bytes.Equal(test.Labels, []byte{9, 0}) {
			t.Fatalf("train %d, test %d %v", train.N, test.N, test.Labels)
		}
		if !bytes.Equal(train.Pix, a[16:]) {
			t.Fatal("train pixels are not the IDX payload bytes")
		}
		// ImageInto and Image convert each byte p to float32(p)/255, the
		// values training has always used.
		into := make([]float32, Pixels+1)
		for i := range train.N {
			img := train.Image(i)
			train.ImageInto(into, i)
			for j, p := range a[16+i*Pixels : 16+(i+1)*Pixels] {
				if want := float32(p) / 255; img[j] != want || into[j] != want {
					t.Fatalf("image %d pixel %d = %v (Image), %v (ImageInto), want %v", i, j, img[j], into[j], want)
				}
			}
		}
		if got, again := train.Image(2), train.Image(2); len(got) != Pixels || &got[0] == &again[0] {
			t.Fatal("Image(2) is not a fresh copy of 784 pixels")
		}
		if a := testing.AllocsPerRun(10, func() { train.ImageInto(into, 1) }); a != 0 {
			t.Errorf("ImageInto allocates %v times", a)
		}
		if s := train.Slice(1, 3); s.N != 2 || s.Labels[0] != 2 || &s.Pix[0] != &train.Pix[Pixels] {
			t.Fatal("Slice(1, 3) is wrong")
		}
		// The checked entry point refuses these files: they are not MNIST.
		_, _, err = LoadDir(dir)
		if err == nil || !strings.Contains(err.Error(), "not the canonical MNIST file") || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("LoadDir on non-canonical files: %v", err)
		}
	})
	for _, c := range []struct {
		name  string
		tweak func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte)
		want  string
	}{
		{"more labels than images", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return a, idxLabels(1, 2, 3, 4), c, d
		}, "holds 3 images but"},
		{"fewer test labels", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return a, b, c, idxLabels(9)
		}, "do not belong together"},
		{"wrong image size", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return idxImages(3, 27, 28), b, c, d
		}, "27×28 pixels, MNIST's are 28×28"},
		{"label not a digit", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return a, idxLabels(1, 10, 3), c, d
		}, "label 1 is 10"},
		{"labels in the images file", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return b, b, c, d
		}, "label file, not an image file"},
		{"truncated images", func(a, b, c, d []byte) ([]byte, []byte, []byte, []byte) {
			return a[:len(a)-100], b, c, d
		}, "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b, cc, d := c.tweak(good())
			writeSetFiles(t, dir, a, b, cc, d)
			_, _, err := loadDir(dir, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		dir := t.TempDir()
		a, b, c, d := good()
		writeSetFiles(t, dir, a, b, c, d)
		os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
		_, _, err := loadDir(dir, false)
		if err == nil || !strings.Contains(err.Error(), "neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte found") {
			t.Fatalf("err = %v", err)
		}
	})
}

// The canonical files are accepted uncompressed too (their SHA-256 is the
// decompressed file's), and a damaged copy is refused.
func TestReadCanonicalForms(t *testing.T) {
	src := realDir(t)
	zipped, err := os.ReadFile(filepath.Join(src, testLabelsFile.name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, testLabelsFile.name)
	os.WriteFile(path, raw, 0o644)
	if _, _, err := readCanonical(dir, testLabelsFile, true); err != nil {
		t.Fatalf("uncompressed canonical file refused: %v", err)
	}
	os.WriteFile(path, withByte(raw, 100, raw[100]^1), 0o644)
	if _, _, err := readCanonical(dir, testLabelsFile, true); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("damaged file: err = %v", err)
	}
	// The gzip form wins when both are present.
	os.WriteFile(path+".gz", zipped, 0o644)
	data, p, err := readCanonical(dir, testLabelsFile, true)
	if err != nil || p != path+".gz" || !bytes.Equal(data, zipped) {
		t.Fatalf("with both forms: %s, %v", p, err)
	}
}
