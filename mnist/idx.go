package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers (the first four bytes of an IDX file): two zero bytes,
// the element type (0x08 = unsigned byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803 // ubyte, 3 dimensions: n × rows × cols
	idxLabelsMagic = 0x00000801 // ubyte, 1 dimension: n
)

// Bounds on what an IDX header may declare. MNIST has 60000 images of
// 28×28; the bounds leave room for MNIST-like sets (EMNIST, Fashion-MNIST,
// larger crops) while refusing headers that would make us allocate
// gigabytes. Memory is also only allocated as payload bytes actually
// arrive, so a short file that declares a large payload costs little.
const (
	MaxIDXItems   = 1 << 20   // images or labels in one file
	MaxIDXSide    = 1024      // rows or cols of one image
	MaxIDXPayload = 256 << 20 // bytes of pixels in one file
)

// IDXError describes why a file is not a readable IDX file. What names the
// file part ("images" or "labels"); Msg says what is wrong in words meant
// for someone who has never seen the format.
type IDXError struct {
	What string
	Msg  string
	Err  error // underlying error, if any (gzip, I/O)
}

func (e *IDXError) Error() string {
	s := "mnist: reading IDX " + e.What + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *IDXError) Unwrap() error { return e.Err }

// ReadImages reads an IDX image file (magic 0x00000803), gzip-compressed or
// raw: the compression is detected from the first two bytes (1f 8b), not
// from a file name. It returns the number of images n, their size
// rows × cols and the pixels, n×rows×cols bytes in row-major order
// (0 = background, 255 = full ink in MNIST).
//
// The payload must be exactly as long as the header says: a truncated
// file, trailing bytes, a bad gzip stream (checksum included) or a header
// beyond the Max* bounds return an *IDXError. ReadImages never panics.
func ReadImages(r io.Reader) (n, rows, cols int, pix []uint8, err error) {
	src, err := idxSource(r, "images")
	if err != nil {
		return 0, 0, 0, nil, err
	}
	n, rows, cols, err = imagesHeader(src)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	pix, err = readPayload(src, n*rows*cols, "images")
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return n, rows, cols, pix, nil
}

// imagesHeader reads and checks the 16-byte header of a decompressed IDX
// image stream.
func imagesHeader(src io.Reader) (n, rows, cols int, err error) {
	const what = "images"
	var hdr [16]byte
	if err := readHeader(src, hdr[:4], what); err != nil {
		return 0, 0, 0, err
	}
	magic := binary.BigEndian.Uint32(hdr[:4])
	if magic != idxImagesMagic {
		return 0, 0, 0, badMagic(what, magic, idxImagesMagic)
	}
	if err := readHeader(src, hdr[4:16], what); err != nil {
		return 0, 0, 0, err
	}
	dn := binary.BigEndian.Uint32(hdr[4:8])
	dr := binary.BigEndian.Uint32(hdr[8:12])
	dc := binary.BigEndian.Uint32(hdr[12:16])
	if dn > MaxIDXItems {
		return 0, 0, 0, &IDXError{What: what, Msg: fmt.Sprintf("header declares %d images, more than the %d this reader accepts (not an MNIST file?)", dn, MaxIDXItems)}
	}
	if dr == 0 || dc == 0 || dr > MaxIDXSide || dc > MaxIDXSide {
		return 0, 0, 0, &IDXError{What: what, Msg: fmt.Sprintf("header declares images of %d×%d pixels; each side must be 1..%d (MNIST is 28×28)", dr, dc, MaxIDXSide)}
	}
	total := uint64(dn) * uint64(dr) * uint64(dc)
	if total > MaxIDXPayload {
		return 0, 0, 0, &IDXError{What: what, Msg: fmt.Sprintf("header declares %d×%d×%d = %d pixel bytes, more than the %d this reader accepts", dn, dr, dc, total, MaxIDXPayload)}
	}
	return int(dn), int(dr), int(dc), nil
}

// ReadLabels reads an IDX label file (magic 0x00000801), gzip-compressed or
// raw, with the same checks as ReadImages. Label values are returned as
// stored; LoadDir additionally checks that they are digits 0..9.
func ReadLabels(r io.Reader) ([]uint8, error) {
	const what = "labels"
	src, err := idxSource(r, what)
	if err != nil {
		return nil, err
	}
	var hdr [8]byte
	if err := readHeader(src, hdr[:4], what); err != nil {
		return nil, err
	}
	magic := binary.BigEndian.Uint32(hdr[:4])
	if magic != idxLabelsMagic {
		return nil, badMagic(what, magic, idxLabelsMagic)
	}
	if err := readHeader(src, hdr[4:8], what); err != nil {
		return nil, err
	}
	dn := binary.BigEndian.Uint32(hdr[4:8])
	if dn > MaxIDXItems {
		return nil, &IDXError{What: what, Msg: fmt.Sprintf("header declares %d labels, more than the %d this reader accepts (not an MNIST file?)", dn, MaxIDXItems)}
	}
	return readPayload(src, int(dn), what)
}

// idxSource returns a reader of the decompressed bytes of r: r itself for a
// raw file, a gzip reader when r starts with the gzip magic 1f 8b.
func idxSource(r io.Reader, what string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		if err == io.EOF {
			if len(head) == 0 {
				return nil, &IDXError{What: what, Msg: "the file is empty"}
			}
			return nil, &IDXError{What: what, Msg: "the file is truncated: it ends inside the 4-byte magic number"}
		}
		return nil, &IDXError{What: what, Msg: "cannot read the file", Err: err}
	}
	if head[0] != 0x1f || head[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, &IDXError{What: what, Msg: "the file starts like gzip (1f 8b) but its gzip header is corrupt", Err: err}
	}
	// A gzip file may hold several members back to back; gzip.Reader reads
	// them all as one stream, which is what gunzip does too. Bytes after
	// the last member that are not a gzip member are reported as corrupt.
	return &gzipSource{zr: zr, what: what}, nil
}

// gzipSource turns gzip errors into IDXErrors that say what is wrong.
type gzipSource struct {
	zr   *gzip.Reader
	what string
}

func (g *gzipSource) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		var ie *IDXError
		if errors.As(err, &ie) {
			return n, err
		}
		msg := "the gzip stream is corrupt"
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			msg = "the gzip stream is truncated (the file was cut short)"
		case errors.Is(err, gzip.ErrChecksum):
			msg = "the gzip checksum does not match: the file is damaged"
		case errors.Is(err, gzip.ErrHeader):
			msg = "the gzip stream is corrupt or followed by bytes that are not gzip"
		}
		return n, &IDXError{What: g.what, Msg: msg, Err: err}
	}
	return n, err
}

func readHeader(r io.Reader, b []byte, what string) error {
	_, err := io.ReadFull(r, b)
	if err == nil {
		return nil
	}
	var ie *IDXError
	if errors.As(err, &ie) {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &IDXError{What: what, Msg: "the file is truncated: it ends inside the header"}
	}
	return &IDXError{What: what, Msg: "cannot read the header", Err: err}
}

func badMagic(what string, got, want uint32) error {
	msg := fmt.Sprintf("magic number is 0x%08x, want 0x%08x", got, want)
	switch {
	case what == "images" && got == idxLabelsMagic:
		msg += " (this is a label file, not an image file)"
	case what == "labels" && got == idxImagesMagic:
		msg += " (this is an image file, not a label file)"
	case got>>16 == 0 && got>>8&0xff == 0x08:
		msg += fmt.Sprintf(" (an IDX file of unsigned bytes with %d dimensions, not MNIST %s)", got&0xff, what)
	default:
		msg += " (not an MNIST IDX file)"
	}
	return &IDXError{What: what, Msg: msg}
}

// readPayload reads exactly n bytes and then insists on the end of the
// stream. Memory grows with the bytes that actually arrive (append's
// doubling), so a header that lies about its size cannot make us allocate
// far more than the file holds.
func readPayload(r io.Reader, n int, what string) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<20))
	err := streamPayload(r, n, what, make([]byte, min(n, 256<<10)), func(p []byte) {
		if len(buf)+len(p) > cap(buf) { // double, up to the declared size
			grown := make([]byte, len(buf), min(n, max(2*cap(buf), len(buf)+len(p))))
			copy(grown, buf)
			buf = grown
		}
		buf = append(buf, p...)
	})
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// streamPayload reads exactly n bytes through scratch, handing each piece
// to sink in order (the piece is only valid during the call), then insists
// on the end of the stream: for gzip that last read also verifies the
// checksum, which gzip.Reader checks only at the end of a member.
func streamPayload(r io.Reader, n int, what string, scratch []byte, sink func(p []byte)) error {
	got, stalls := 0, 0
	for got < n {
		if len(scratch) == 0 {
			scratch = make([]byte, 1)
		}
		m, err := r.Read(scratch[:min(len(scratch), n-got)])
		if m > 0 {
			sink(scratch[:m])
			got += m
		}
		if m == 0 && err == nil {
			if stalls++; stalls > 100 {
				err = io.ErrNoProgress
			}
		} else {
			stalls = 0
		}
		if err != nil {
			if got == n && err == io.EOF {
				break
			}
			var ie *IDXError
			if errors.As(err, &ie) {
				return err
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return &IDXError{What: what, Msg: fmt.Sprintf("the file is truncated: the header promises %d payload bytes but only %d follow", n, got)}
			}
			return &IDXError{What: what, Msg: "cannot read the payload", Err: err}
		}
	}
	var one [1]byte
	for range 100 {
		m, err := r.Read(one[:])
		if m > 0 {
			return &IDXError{What: what, Msg: fmt.Sprintf("the file has extra bytes after the %d payload bytes the header declares (corrupt, or the header is wrong)", n)}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var ie *IDXError
			if errors.As(err, &ie) {
				return err
			}
			return &IDXError{What: what, Msg: "cannot read the end of the file", Err: err}
		}
	}
	return &IDXError{What: what, Msg: "cannot read the end of the file", Err: io.ErrNoProgress}
}
