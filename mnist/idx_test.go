package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// idxImages builds a raw IDX image file of n images of rows×cols whose
// pixel i is byte(i*7).
func idxImages(n, rows, cols int) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxImagesMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(rows))
	b = binary.BigEndian.AppendUint32(b, uint32(cols))
	for i := range n * rows * cols {
		b = append(b, byte(i*7))
	}
	return b
}

// idxLabels builds a raw IDX label file holding labels.
func idxLabels(labels ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, idxLabelsMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func withByte(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	if i < 0 {
		i += len(c)
	}
	c[i] = v
	return c
}

func header(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func TestReadImagesValid(t *testing.T) {
	raw := idxImages(3, 4, 5)
	for _, c := range []struct {
		name string
		r    io.Reader
	}{
		{"raw", bytes.NewReader(raw)},
		{"gzip", bytes.NewReader(gz(raw))},
		{"gzip one byte at a time", iotest.OneByteReader(bytes.NewReader(gz(raw)))},
		{"raw one byte at a time", iotest.OneByteReader(bytes.NewReader(raw))},
		{"two gzip members", bytes.NewReader(cat(gz(raw[:20]), gz(raw[20:])))},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, rows, cols, pix, err := ReadImages(c.r)
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || rows != 4 || cols != 5 || len(pix) != 60 {
				t.Fatalf("got n=%d %d×%d, %d pixels; want 3 of 4×5, 60 pixels", n, rows, cols, len(pix))
			}
			if !bytes.Equal(pix, raw[16:]) {
				t.Fatalf("pixels differ from the file's payload")
			}
		})
	}
	// Zero images is a valid (empty) file.
	n, _, _, pix, err := ReadImages(bytes.NewReader(idxImages(0, 28, 28)))
	if err != nil || n != 0 || len(pix) != 0 {
		t.Fatalf("empty set: n=%d len=%d err=%v", n, len(pix), err)
	}
}

func TestReadImagesCorrupt(t *testing.T) {
	raw := idxImages(3, 4, 5)
	zipped := gz(raw)
	cases := []struct {
		name string
		data []byte
		want string // part of the message
	}{
		{"empty file", nil, "empty"},
		{"one byte", []byte{0}, "truncated"},
		{"header cut in magic", raw[:3], "truncated"},
		{"header cut in dims", raw[:10], "ends inside the header"},
		{"payload cut", raw[:len(raw)-1], "only 59 follow"},
		{"payload missing", raw[:16], "only 0 follow"},
		{"trailing garbage", cat(raw, []byte{0}), "extra bytes"},
		{"labels file", idxLabels(1, 2, 3), "label file, not an image file"},
		{"other IDX type", withByte(raw, 3, 2), "2 dimensions, not MNIST"},
		{"float IDX", withByte(raw, 2, 0x0d), "not an MNIST IDX file"},
		{"text file", []byte("hello, world\n this is not MNIST at all"), "not an MNIST IDX file"},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "not an MNIST IDX file"},
		{"zero rows", header(idxImagesMagic, 1, 0, 28), "each side must be 1..1024"},
		{"zero cols", header(idxImagesMagic, 1, 28, 0), "each side must be 1..1024"},
		{"absurd side", header(idxImagesMagic, 1, 100000, 28), "each side must be 1..1024"},
		{"absurd count", header(idxImagesMagic, 0xffffffff, 28, 28), "more than the 1048576"},
		{"absurd payload", header(idxImagesMagic, 1<<20, 1024, 1024), "pixel bytes, more than"},
		{"gzip truncated", zipped[:len(zipped)/2], "truncated"},
		{"gzip without trailer", zipped[:len(zipped)-8], "truncated"},
		{"gzip bad checksum", withByte(zipped, -8, zipped[len(zipped)-8]^0xff), "checksum"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0x07, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, "gzip header is corrupt"},
		{"gzip just magic", []byte{0x1f, 0x8b}, "gzip header is corrupt"},
		{"gzip then garbage", cat(zipped, []byte("some garbage after the gzip data")), "not gzip"},
		{"gzip then a few bytes", cat(zipped, []byte("abc")), "truncated"},
		{"gzip payload too long", gz(cat(raw, []byte{1, 2})), "extra bytes"},
		{"gzip payload too short", gz(raw[:len(raw)-2]), "only 58 follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, _, _, pix, err := ReadImages(bytes.NewReader(c.data))
			if err == nil {
				t.Fatalf("no error; got %d images (%d bytes)", n, len(pix))
			}
			var ie *IDXError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v, want *IDXError", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			if pix != nil {
				t.Fatalf("returned %d pixels along with the error", len(pix))
			}
		})
	}
}

func TestReadLabels(t *testing.T) {
	raw := idxLabels(5, 0, 4, 1, 9)
	for _, data := range [][]byte{raw, gz(raw)} {
		got, err := ReadLabels(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte{5, 0, 4, 1, 9}) {
			t.Fatalf("labels %v", got)
		}
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"cut header", raw[:6], "ends inside the header"},
		{"cut payload", raw[:len(raw)-2], "promises 5 payload bytes but only 3 follow"},
		{"trailing", cat(raw, []byte{7}), "extra bytes"},
		{"images file", idxImages(1, 2, 2), "image file, not a label file"},
		{"absurd count", header(idxLabelsMagic, 1<<30), "more than the 1048576"},
		{"gzip cut", gz(raw)[:20], "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadLabels(bytes.NewReader(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want an error saying %q", got, err, c.want)
			}
		})
	}
}

// A header may claim up to MaxIDXPayload bytes; memory must follow the
// bytes that actually arrive, not the claim.
func TestReadImagesLyingHeaderAllocatesLittle(t *testing.T) {
	data := cat(header(idxImagesMagic, 1<<18, 32, 32), make([]byte, 1000)) // claims 256 MiB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, _, _, err := ReadImages(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "only 1000 follow") {
		t.Fatalf("err = %v, want truncation", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Fatalf("reading a 1 KB file that claims 256 MiB allocated %d bytes", got)
	}
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadImagesIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	raw := idxImages(2, 3, 3)
	for _, cut := range []int{0, 3, 10, 20, len(raw)} {
		_, _, _, _, err := ReadImages(&errReader{raw[:cut], boom})
		if !errors.Is(err, boom) {
			t.Errorf("cut %d: err = %v, want it to wrap %v", cut, err, boom)
		}
	}
	// A reader that never makes progress must not hang us.
	_, _, _, _, err := ReadImages(&stuckReader{raw[:20]})
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("stuck reader: err = %v, want io.ErrNoProgress", err)
	}
}

type stuckReader struct{ data []byte }

func (r *stuckReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func BenchmarkReadImagesGzip(b *testing.B) {
	raw := idxImages(10000, 28, 28)
	zipped := gz(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, _, err := ReadImages(bytes.NewReader(zipped)); err != nil {
			b.Fatal(err)
		}
	}
}
