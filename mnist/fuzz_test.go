package mnist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The committed seed corpora (testdata/fuzz/Fuzz*/) run in every `go test`;
// `go test -run '^$' -fuzz FuzzReadImages -fuzztime 30s ./mnist/` searches
// further. -write-fuzz-seeds regenerates the seed files from fuzzSeeds.
var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite testdata/fuzz/*/seed-* from the seeds in fuzz_test.go")

// idxSeeds are valid and broken IDX files, images and labels mixed: each
// fuzz target sees both kinds.
func idxSeeds() [][]byte {
	img := idxImages(2, 3, 4)
	lbl := idxLabels(5, 0, 4)
	zimg, zlbl := gz(img), gz(lbl)
	return [][]byte{
		img, lbl, zimg, zlbl,
		idxImages(0, 28, 28),
		idxImages(1, 28, 28),
		img[:10], img[:len(img)-1], cat(img, []byte{9}),
		lbl[:len(lbl)-1], cat(lbl, []byte{0, 0}),
		zimg[:len(zimg)/2], withByte(zimg, -8, zimg[len(zimg)-8]^1),
		cat(zlbl, zlbl),
		header(idxImagesMagic, 1<<18, 32, 32),
		header(idxImagesMagic, 0xffffffff, 0xffffffff, 0xffffffff),
		header(idxLabelsMagic, 0xffffffff),
		{0x1f, 0x8b},
		{},
	}
}

func safetensorsSeeds() [][]byte {
	good, _ := EncodeSafetensors(sampleTensors(), map[string]string{"format": "pt", "k": "v"})
	torch, _ := os.ReadFile("testdata/torch.safetensors")
	two := f32s(1, 2)
	return [][]byte{
		good, torch,
		good[:len(good)-3],
		stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two),
		stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two),
		stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two),
		stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, two[:4]),
		stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, two),
		stFile(`{"__metadata__":{"x":"y"}}`, nil),
		stFile(`{}`, nil),
		binary.LittleEndian.AppendUint64(nil, 1<<62),
	}
}

type preprocessSeed struct {
	w, h  int
	bits  bool
	data  []byte
	label string
}

func preprocessSeeds() []preprocessSeed {
	box := newCanvas(16, 16).fill(4, 2, 9, 14, 1)
	var boxBytes []byte
	for _, v := range box.pix {
		boxBytes = append(boxBytes, byte(v*255))
	}
	return []preprocessSeed{
		{16, 16, false, boxBytes, "box"},
		{28, 28, false, bytes.Repeat([]byte{0, 0, 255, 30}, 196), "stripes"},
		{5, 40, false, []byte{255}, "all ink"},
		{3, 3, false, []byte{0}, "empty"},
		{1, 1, false, []byte{200}, "one pixel"},
		{64, 1, false, []byte{0, 0, 0, 9, 26, 200}, "one row"},
		{4, 4, true, f32s(float32(math.NaN()), float32(math.Inf(1)), -1, 0.5, 2), "non-finite"},
		{0, 7, false, []byte{1}, "zero width"},
		{-3, 7, false, []byte{1}, "negative"},
		{2000, 1, false, []byte{1}, "too wide"},
	}
}

// drawing builds the w×h source from fuzz bytes: bytes/255 cycled, or
// float32 bit patterns (NaN, Inf, negatives) when bits is set.
func drawing(w, h int, bits bool, data []byte) []float32 {
	if w < 1 || h < 1 || w > MaxDrawingSide || h > MaxDrawingSide || len(data) == 0 {
		return make([]float32, max(0, min(w, 64))*max(0, min(h, 64)))
	}
	src := make([]float32, w*h)
	for i := range src {
		if bits && len(data) >= 4 {
			j := (4 * i) % (len(data) - len(data)%4)
			src[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[j:]))
		} else {
			src[i] = float32(data[i%len(data)]) / 255
		}
	}
	return src
}

func FuzzReadImages(f *testing.F) {
	for _, s := range idxSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, rows, cols, pix, err := ReadImages(bytes.NewReader(data))
		if err != nil {
			var ie *IDXError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *IDXError", err, err)
			}
			if pix != nil {
				t.Fatal("pixels returned with an error")
			}
			return
		}
		if rows < 1 || cols < 1 || rows > MaxIDXSide || cols > MaxIDXSide || n < 0 || n > MaxIDXItems {
			t.Fatalf("accepted n=%d %d×%d", n, rows, cols)
		}
		if len(pix) != n*rows*cols {
			t.Fatalf("%d pixels for %d images of %d×%d", len(pix), n, rows, cols)
		}
		// A raw file that parses is exactly header + payload.
		if len(data) >= 2 && !(data[0] == 0x1f && data[1] == 0x8b) {
			if len(data) != 16+len(pix) || !bytes.Equal(data[16:], pix) {
				t.Fatalf("raw file of %d bytes gave %d pixels", len(data), len(pix))
			}
		}
	})
}

func FuzzReadLabels(f *testing.F) {
	for _, s := range idxSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := ReadLabels(bytes.NewReader(data))
		if err != nil {
			var ie *IDXError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *IDXError", err, err)
			}
			return
		}
		if len(labels) > MaxIDXItems {
			t.Fatalf("%d labels accepted", len(labels))
		}
		if len(data) >= 2 && !(data[0] == 0x1f && data[1] == 0x8b) && len(data) != 8+len(labels) {
			t.Fatalf("raw file of %d bytes gave %d labels", len(data), len(labels))
		}
	})
}

func FuzzDecodeSafetensors(f *testing.F) {
	for _, s := range safetensorsSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkDecodeSafetensors)
}

// FuzzSafetensorsHeader mutates the JSON header text with a correct length
// prefix, which reaches the header checks far more often than raw bytes.
func FuzzSafetensorsHeader(f *testing.F) {
	for _, s := range safetensorsHeaderSeeds() {
		f.Add(s.header, s.buf)
	}
	f.Fuzz(func(t *testing.T, header string, buf []byte) {
		checkDecodeSafetensors(t, stFile(header, buf))
	})
}

type headerSeed struct {
	header string
	buf    []byte
}

func safetensorsHeaderSeeds() []headerSeed {
	two := f32s(1, 2)
	return []headerSeed{
		{`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two},
		{`{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}    `, two},
		{`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, two},
		{`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}`, two[:4]},
		{`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, two},
		{`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, two},
		{`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}`, two},
	}
}

func checkDecodeSafetensors(t *testing.T, data []byte) {
	{
		ts, meta, err := DecodeSafetensors(data)
		if err != nil {
			var se *SafetensorsError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SafetensorsError", err, err)
			}
			return
		}
		// Whatever decodes re-encodes, and decodes to the same thing.
		b, err := EncodeSafetensors(ts, meta)
		if err != nil {
			t.Fatalf("decoded tensors do not re-encode: %v", err)
		}
		ts2, meta2, err := DecodeSafetensors(b)
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if len(meta) == 0 {
			meta = nil
		}
		if !reflect.DeepEqual(ts, ts2) || !reflect.DeepEqual(meta, meta2) {
			t.Fatalf("round trip changed the tensors")
		}
		total := 0
		for _, x := range ts {
			total += 4 * len(x.Data)
		}
		if total > len(data) {
			t.Fatalf("decoded %d bytes of tensors from a %d-byte file", total, len(data))
		}
	}
}

func FuzzPreprocess(f *testing.F) {
	for _, s := range preprocessSeeds() {
		f.Add(s.w, s.h, s.bits, s.data)
	}
	f.Fuzz(func(t *testing.T, w, h int, bits bool, data []byte) {
		src := drawing(w, h, bits, data)
		dst := make([]float32, Pixels)
		err := Preprocess(dst, src, w, h)
		valid := w >= 1 && h >= 1 && w <= MaxDrawingSide && h <= MaxDrawingSide && len(src) == w*h
		if (err == nil) != valid {
			t.Fatalf("%d×%d with %d values: err = %v", w, h, len(src), err)
		}
		if err != nil {
			return
		}
		ink := false
		for _, v := range src {
			if clean(v) > 0 {
				ink = true
				break
			}
		}
		s := measure(dst)
		var peak float32
		for i, v := range dst {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d = %v", i, v)
			}
			peak = max(peak, v)
		}
		if !ink {
			if peak != 0 {
				t.Fatal("ink appeared from nothing")
			}
			return
		}
		if peak != 1 {
			t.Fatalf("brightest pixel %v, want 1", peak)
		}
		if bw, bh := s.x1-s.x0+1, s.y1-s.y0+1; max(bw, bh) > FitSide {
			t.Fatalf("ink box %d×%d larger than %d", bw, bh, FitSide)
		}
		// The centre of mass is within half a pixel of (14, 14), unless
		// the ink is lopsided enough that getting there would push it out
		// of the field: then the ink touches the field's edge.
		if math.Abs(s.cx-14) > 0.5+1e-4 && s.x0 != 0 && s.x1 != ImageSize-1 {
			t.Fatalf("centre of mass x %.3f with ink in columns %d..%d", s.cx, s.x0, s.x1)
		}
		if math.Abs(s.cy-14) > 0.5+1e-4 && s.y0 != 0 && s.y1 != ImageSize-1 {
			t.Fatalf("centre of mass y %.3f with ink in rows %d..%d", s.cy, s.y0, s.y1)
		}
	})
}

// TestWriteFuzzSeeds keeps the committed corpora in step with the seed
// lists above: with -write-fuzz-seeds it rewrites them; otherwise it checks
// that every seed has its file.
func TestWriteFuzzSeeds(t *testing.T) {
	files := map[string][]byte{}
	for i, s := range idxSeeds() {
		files[fmt.Sprintf("FuzzReadImages/seed-%02d", i)] = corpusFile(s)
		files[fmt.Sprintf("FuzzReadLabels/seed-%02d", i)] = corpusFile(s)
	}
	for i, s := range safetensorsSeeds() {
		files[fmt.Sprintf("FuzzDecodeSafetensors/seed-%02d", i)] = corpusFile(s)
	}
	for i, s := range safetensorsHeaderSeeds() {
		files[fmt.Sprintf("FuzzSafetensorsHeader/seed-%02d", i)] = corpusFile(s.header, s.buf)
	}
	for i, s := range preprocessSeeds() {
		files[fmt.Sprintf("FuzzPreprocess/seed-%02d", i)] = corpusFile(s.w, s.h, s.bits, s.data)
	}
	for name, want := range files {
		path := filepath.Join("testdata", "fuzz", filepath.FromSlash(name))
		if *writeFuzzSeeds {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (run go test ./mnist/ -run WriteFuzzSeeds -write-fuzz-seeds)", path)
		}
	}
}

// corpusFile encodes values in the "go test fuzz v1" corpus format.
func corpusFile(vals ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case int, bool:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic("corpusFile: unsupported type")
		}
	}
	return b.Bytes()
}
