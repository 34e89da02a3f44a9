package mnist

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/convlab/convlab/internal/atomicfile"
)

// The safetensors format (https://github.com/huggingface/safetensors):
//
//	8 bytes   N, the header length, unsigned little-endian
//	N bytes   a JSON object, possibly padded with trailing spaces:
//	          {"<name>": {"dtype": "F32", "shape": [d0, d1, ...],
//	                      "data_offsets": [begin, end]}, ...,
//	           "__metadata__": {"<key>": "<string value>", ...}}
//	rest      the byte buffer; begin/end are offsets into it
//
// Tensors are stored little-endian, row-major, and together they cover the
// buffer exactly: no gaps, no overlaps. PyTorch users read our files with
//
//	from safetensors.torch import load_file
//	state_dict = load_file("model.safetensors")
//
// convlab stores only float32 ("F32") tensors.

// Tensor is a named float32 array in row-major order; len(Data) must equal
// the product of Shape (1 for a scalar with an empty Shape).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Bounds on what DecodeSafetensors accepts.
const (
	MaxSafetensorsHeader = 100 << 20 // bytes of JSON header
	MaxTensorDims        = 8
	MaxTensors           = 10000 // tensors in one file (a model has a handful)
)

const metadataKey = "__metadata__"

// SafetensorsError says what is wrong with a safetensors file.
type SafetensorsError struct{ Msg string }

func (e *SafetensorsError) Error() string { return "safetensors: " + e.Msg }

func stErr(format string, args ...any) error {
	return &SafetensorsError{Msg: fmt.Sprintf(format, args...)}
}

// EncodeSafetensors serialises ts (in the given order) and meta. Names must
// be unique, non-empty and not "__metadata__"; shapes must match the data;
// every value must be finite (a NaN or Inf in a model means training
// diverged, and such a file would be refused on load anyway).
func EncodeSafetensors(ts []Tensor, meta map[string]string) ([]byte, error) {
	if len(ts) > MaxTensors {
		return nil, stErr("%d tensors, more than the %d a file may hold", len(ts), MaxTensors)
	}
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	seen := make(map[string]bool, len(ts))
	var offset int64
	for i, t := range ts {
		if t.Name == "" {
			return nil, stErr("tensor %d has an empty name", i)
		}
		if t.Name == metadataKey {
			return nil, stErr("a tensor may not be called %q", metadataKey)
		}
		if seen[t.Name] {
			return nil, stErr("two tensors are called %q", t.Name)
		}
		seen[t.Name] = true
		count, err := shapeCount(t.Name, t.Shape)
		if err != nil {
			return nil, err
		}
		if count != int64(len(t.Data)) {
			return nil, stErr("tensor %q has shape %v (%d values) but %d values of data", t.Name, t.Shape, count, len(t.Data))
		}
		if j := firstNonFinite(t.Data); j >= 0 {
			return nil, stErr("tensor %q value %d is %v: only finite numbers can be saved", t.Name, j, t.Data[j])
		}
		if i > 0 {
			hdr.WriteByte(',')
		}
		writeJSONString(&hdr, t.Name)
		hdr.WriteString(`:{"dtype":"F32","shape":[`)
		for k, d := range t.Shape {
			if k > 0 {
				hdr.WriteByte(',')
			}
			hdr.WriteString(strconv.Itoa(d))
		}
		end := offset + 4*count
		fmt.Fprintf(&hdr, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	if len(meta) > 0 {
		if len(ts) > 0 {
			hdr.WriteByte(',')
		}
		writeJSONString(&hdr, metadataKey)
		hdr.WriteString(":{")
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				hdr.WriteByte(',')
			}
			writeJSONString(&hdr, k)
			hdr.WriteByte(':')
			writeJSONString(&hdr, meta[k])
		}
		hdr.WriteByte('}')
	}
	hdr.WriteByte('}')
	// Pad with spaces so the buffer starts 8-byte aligned, as the
	// reference implementation does.
	for (8+hdr.Len())%8 != 0 {
		hdr.WriteByte(' ')
	}
	out := make([]byte, 8, 8+hdr.Len()+int(offset))
	binary.LittleEndian.PutUint64(out, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	for _, t := range ts {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// writeJSONString writes s as a JSON string. encoding/json escapes <, >
// and & as \u003c etc., which is valid JSON and fine for any reader.
func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // cannot fail for a string
	b.Write(q)
}

// WriteSafetensors encodes ts and meta and writes them to path atomically
// (temporary file in the same folder, fsync, rename): a crash leaves the
// old file or the new one, never half a file.
func WriteSafetensors(path string, ts []Tensor, meta map[string]string) error {
	b, err := EncodeSafetensors(ts, meta)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// MaxSafetensorsFile bounds the files ReadSafetensors reads; convlab's
// models are well under a megabyte.
const MaxSafetensorsFile = 1 << 30

// ReadSafetensors reads and decodes the file at path.
func ReadSafetensors(path string) ([]Tensor, map[string]string, error) {
	// atomicfile.ReadFile refuses devices and FIFOs without blocking (a
	// plain open of a FIFO waits for a writer).
	b, err := atomicfile.ReadFile(path, MaxSafetensorsFile)
	if err != nil {
		return nil, nil, err
	}
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}

type stEntry struct {
	DType       *string
	Shape       *[]int64
	DataOffsets *[]int64
}

// decodeEntry parses a tensor's header entry: exactly the fields dtype,
// shape and data_offsets, spelt as the format spells them, each once.
func decodeEntry(name string, raw []byte) (stEntry, error) {
	var e stEntry
	keys, vals, err := objectMembers(raw)
	if err != nil {
		return e, stErr("tensor %q: header entry must be an object with dtype, shape and data_offsets: %v", name, err)
	}
	for i, k := range keys {
		var dst any
		switch k {
		case "dtype":
			e.DType = new(string)
			dst = e.DType
		case "shape":
			e.Shape = new([]int64)
			dst = e.Shape
		case "data_offsets":
			e.DataOffsets = new([]int64)
			dst = e.DataOffsets
		default:
			return e, stErr("tensor %q: header entry has an unknown field %q (want dtype, shape, data_offsets)", name, k)
		}
		if err := json.Unmarshal(vals[i], dst); err != nil {
			return e, stErr("tensor %q: %s is malformed: %v", name, k, err)
		}
	}
	if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
		return e, stErr("tensor %q: header entry needs dtype, shape and data_offsets", name)
	}
	return e, nil
}

// decodeMetadata parses __metadata__, an object of string values.
func decodeMetadata(raw []byte) (map[string]string, error) {
	keys, vals, err := objectMembers(raw)
	if err != nil {
		return nil, stErr("__metadata__ must map strings to strings: %v", err)
	}
	meta := make(map[string]string, len(keys))
	for i, k := range keys {
		var v string
		if len(vals[i]) == 0 || vals[i][0] != '"' || json.Unmarshal(vals[i], &v) != nil {
			return nil, stErr("__metadata__ must map strings to strings: %q is %s", k, vals[i])
		}
		meta[k] = v
	}
	return meta, nil
}

// objectMembers splits a JSON object into its keys and raw values, in
// order, refusing duplicate keys (which encoding/json would silently merge).
func objectMembers(raw []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("not a JSON object")
	}
	var (
		keys []string
		vals []json.RawMessage
		seen = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, ok := tok.(string)
		if !ok {
			return nil, nil, errors.New("not a JSON object")
		}
		if seen[k] {
			return nil, nil, fmt.Errorf("key %q appears twice", k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, k)
		vals = append(vals, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return keys, vals, nil
}

// DecodeSafetensors parses a safetensors file held in b. Tensors are
// returned in the order of their data in the buffer; meta is nil when the
// file has no __metadata__. Anything malformed returns a
// *SafetensorsError that says what: a header length beyond the file or
// above MaxSafetensorsHeader, invalid JSON, duplicate names, a dtype other
// than F32, negative or overflowing dimensions, data offsets that do not
// match the shape, overlap, leave gaps or run past the buffer, and
// non-finite values. It never panics and allocates no more than b's size
// (plus the header's parse).
func DecodeSafetensors(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, stErr("file is %d bytes, too short for the 8-byte header length (not a safetensors file?)", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxSafetensorsHeader {
		return nil, nil, stErr("header length is %d bytes, more than the %d accepted (not a safetensors file?)", n, MaxSafetensorsHeader)
	}
	if n > uint64(len(b)-8) {
		return nil, nil, stErr("header length %d runs past the end of the %d-byte file (truncated?)", n, len(b))
	}
	if n < 2 {
		return nil, nil, stErr("header length is %d bytes, too short for a JSON object", n)
	}
	hdr := b[8 : 8+n]
	buf := b[8+n:]
	if hdr[0] != '{' {
		return nil, nil, stErr("header does not start with '{' (not a safetensors file?)")
	}

	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, stErr("header is not a JSON object")
	}
	type named struct {
		name       string
		shape      []int
		begin, end int64
	}
	var (
		entries []named
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, stErr("header is not valid JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, stErr("header is not valid JSON")
		}
		if name == "" {
			return nil, nil, stErr("header has a tensor with an empty name")
		}
		if seen[name] {
			return nil, nil, stErr("header names %q twice", name)
		}
		if name != metadataKey && len(entries) >= MaxTensors {
			return nil, nil, stErr("header lists more than %d tensors", MaxTensors)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, stErr("header is not valid JSON: %v", err)
		}
		if name == metadataKey {
			if meta, err = decodeMetadata(raw); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := decodeEntry(name, raw)
		if err != nil {
			return nil, nil, err
		}
		if *e.DType != "F32" {
			return nil, nil, stErr("tensor %q has dtype %q; convlab reads only F32 (float32) tensors", name, *e.DType)
		}
		if len(*e.Shape) > MaxTensorDims {
			return nil, nil, stErr("tensor %q has %d dimensions, more than %d", name, len(*e.Shape), MaxTensorDims)
		}
		shape := make([]int, len(*e.Shape))
		count := int64(1)
		for i, d := range *e.Shape {
			if d < 0 {
				return nil, nil, stErr("tensor %q has a negative dimension %d in shape %v", name, d, *e.Shape)
			}
			if d > 0 && count > int64(len(buf))/4/d+1 {
				return nil, nil, stErr("tensor %q has shape %v, far more values than the file holds", name, *e.Shape)
			}
			count *= d
			shape[i] = int(d)
		}
		offs := *e.DataOffsets
		if len(offs) != 2 {
			return nil, nil, stErr("tensor %q: data_offsets must be [begin, end], got %d numbers", name, len(offs))
		}
		begin, end := offs[0], offs[1]
		if begin < 0 || end < begin {
			return nil, nil, stErr("tensor %q: data_offsets [%d, %d] are not a valid range", name, begin, end)
		}
		if end > int64(len(buf)) {
			return nil, nil, stErr("tensor %q: data_offsets [%d, %d] run past the %d-byte data buffer (truncated?)", name, begin, end, len(buf))
		}
		if end-begin != 4*count {
			return nil, nil, stErr("tensor %q: shape %v needs %d bytes of F32 but data_offsets [%d, %d] cover %d", name, *e.Shape, 4*count, begin, end, end-begin)
		}
		entries = append(entries, named{name, shape, begin, end})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, stErr("header is not valid JSON: %v", err)
	}
	if rest := strings.TrimRight(string(hdr[dec.InputOffset():]), " "); rest != "" {
		return nil, nil, stErr("header has bytes after its JSON object (only space padding is allowed)")
	}

	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var pos int64
	for _, e := range entries {
		if e.begin < pos {
			return nil, nil, stErr("tensor %q: data_offsets [%d, %d] overlap the previous tensor (which ends at %d)", e.name, e.begin, e.end, pos)
		}
		if e.begin > pos {
			return nil, nil, stErr("tensor %q: data_offsets [%d, %d] leave a gap after byte %d of the data buffer", e.name, e.begin, e.end, pos)
		}
		pos = e.end
	}
	if pos != int64(len(buf)) {
		return nil, nil, stErr("the tensors cover %d bytes but the data buffer has %d (extra bytes at the end, or a corrupt header)", pos, len(buf))
	}

	ts := make([]Tensor, len(entries))
	for i, e := range entries {
		data := make([]float32, (e.end-e.begin)/4)
		raw := buf[e.begin:e.end]
		for j := range data {
			data[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		if j := firstNonFinite(data); j >= 0 {
			return nil, nil, stErr("tensor %q value %d is %v: the file is corrupt or the model diverged", e.name, j, data[j])
		}
		ts[i] = Tensor{Name: e.name, Shape: e.shape, Data: data}
	}
	return ts, meta, nil
}

// shapeCount is the number of values of a tensor of the given shape.
func shapeCount(name string, shape []int) (int64, error) {
	if len(shape) > MaxTensorDims {
		return 0, stErr("tensor %q has %d dimensions, more than %d", name, len(shape), MaxTensorDims)
	}
	count := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, stErr("tensor %q has a negative dimension in shape %v", name, shape)
		}
		if d > 0 && count > math.MaxInt32/int64(d) {
			return 0, stErr("tensor %q has shape %v, too many values", name, shape)
		}
		count *= int64(d)
	}
	return count, nil
}

func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}
