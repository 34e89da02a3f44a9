package mnist

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var updateSafetensors = flag.Bool("update-safetensors", false, "rewrite mnist/testdata/go.safetensors")

func sampleTensors() []Tensor {
	w := make([]float32, 2*1*3*3)
	for i := range w {
		w[i] = float32(i)*0.25 - 2
	}
	return []Tensor{
		{Name: "0.weight", Shape: []int{2, 1, 3, 3}, Data: w},
		{Name: "0.bias", Shape: []int{2}, Data: []float32{-0.5, 1e-30}},
		{Name: "scalar", Shape: []int{}, Data: []float32{3.5}},
		{Name: "empty", Shape: []int{0, 5}, Data: []float32{}},
		{Name: "ünïcode \"quoted\" <name>", Shape: []int{1}, Data: []float32{float32(math.MaxFloat32)}},
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	for _, meta := range []map[string]string{nil, {"preset": "small", "step": "1200", "": "empty key", "é": "値"}} {
		in := sampleTensors()
		b, err := EncodeSafetensors(in, meta)
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(b)
		if (8+n)%8 != 0 {
			t.Errorf("data buffer starts at %d, not 8-byte aligned", 8+n)
		}
		out, gotMeta, err := DecodeSafetensors(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out, in) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
		}
		if len(meta) == 0 {
			if gotMeta != nil {
				t.Fatalf("metadata %v, want none", gotMeta)
			}
		} else if !reflect.DeepEqual(gotMeta, meta) {
			t.Fatalf("metadata %v, want %v", gotMeta, meta)
		}
		// Encoding is deterministic (map order does not leak into the file).
		again, _ := EncodeSafetensors(in, meta)
		if !bytes.Equal(again, b) {
			t.Fatal("two encodings of the same tensors differ")
		}
	}
	// No tensors at all is a valid file.
	b, err := EncodeSafetensors(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ts, meta, err := DecodeSafetensors(b); err != nil || len(ts) != 0 || meta != nil {
		t.Fatalf("empty file: %v %v %v", ts, meta, err)
	}
}

// torch.safetensors was written by scripts/safetensors_fixture.py from torch
// tensors in the byte layout of huggingface's safetensors library.
func TestSafetensorsReadsTorchFile(t *testing.T) {
	b, err := os.ReadFile("testdata/torch.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Metadata map[string]string
		Tensors  []struct {
			Name  string
			Shape []int
			Bits  []uint32
		}
	}
	js, err := os.ReadFile("testdata/torch_safetensors.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(meta, want.Metadata) {
		t.Errorf("metadata %v, want %v", meta, want.Metadata)
	}
	byName := map[string]Tensor{}
	for _, x := range ts {
		byName[x.Name] = x
	}
	if len(byName) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(byName), len(want.Tensors))
	}
	for _, w := range want.Tensors {
		got, ok := byName[w.Name]
		if !ok {
			t.Errorf("tensor %q missing", w.Name)
			continue
		}
		if !reflect.DeepEqual(got.Shape, w.Shape) || len(got.Data) != len(w.Bits) {
			t.Errorf("%s: shape %v with %d values, want %v with %d", w.Name, got.Shape, len(got.Data), w.Shape, len(w.Bits))
			continue
		}
		for i, bits := range w.Bits {
			if math.Float32bits(got.Data[i]) != bits {
				t.Errorf("%s[%d] = %v, want %v", w.Name, i, got.Data[i], math.Float32frombits(bits))
				break
			}
		}
	}
	// Re-encoding in torch's order gives back torch's bytes, apart from the
	// header's key order (we put __metadata__ last).
	again, err := EncodeSafetensors(ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(b) || !bytes.Equal(again[len(again)-140:], b[len(b)-140:]) {
		t.Errorf("re-encoded file differs from torch's in size or data (%d vs %d bytes)", len(again), len(b))
	}
}

// go.safetensors is what our encoder writes for sampleTensors; the python
// script loads it into torch tensors (run it after -update-safetensors).
func TestSafetensorsGoFixture(t *testing.T) {
	b, err := EncodeSafetensors(sampleTensors(), map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "go.safetensors")
	if *updateSafetensors {
		if err := WriteSafetensors(path, sampleTensors(), map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoder output differs from %s (run go test -run GoFixture -update-safetensors if the change is intended)", path)
	}
}

func TestWriteSafetensors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := sampleTensors()
	if err := WriteSafetensors(path, in, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	out, meta, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) || meta["k"] != "v" {
		t.Fatalf("read back %v %v", out, meta)
	}
	// A failed encode leaves the old file untouched and no temporary files.
	bad := []Tensor{{Name: "x", Shape: []int{2}, Data: []float32{1}}}
	if err := WriteSafetensors(path, bad, nil); err == nil {
		t.Fatal("bad tensor written")
	}
	if _, _, err := ReadSafetensors(path); err != nil {
		t.Fatalf("old file damaged: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want only the model", len(entries))
	}
	if err := WriteSafetensors(filepath.Join(dir, "no", "such", "dir.safetensors"), in, nil); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	// A corrupt file on disk is refused with its path in the message.
	os.WriteFile(path, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json}      "), 0o644)
	if _, _, err := ReadSafetensors(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: %v", err)
	}
}

func TestEncodeSafetensorsRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		ts   []Tensor
		want string
	}{
		{"empty name", []Tensor{{Name: "", Shape: []int{1}, Data: []float32{1}}}, "empty name"},
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, `two tensors are called "a"`},
		{"metadata name", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "may not be called"},
		{"shape mismatch", []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}}, "4 values) but 1 values"},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, "negative dimension"},
		{"huge dims", []Tensor{{Name: "a", Shape: []int{1 << 20, 1 << 20}, Data: nil}}, "too many values"},
		{"NaN", []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, float32(math.NaN())}}}, "value 1 is NaN"},
		{"Inf", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{float32(math.Inf(-1))}}}, "-Inf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := EncodeSafetensors(c.ts, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}

// stFile assembles a safetensors file from a header text and a buffer.
func stFile(header string, buf []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, buf...)
}

func f32s(xs ...float32) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestDecodeSafetensorsRejects(t *testing.T) {
	two := f32s(1, 2)
	ok := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	if _, _, err := DecodeSafetensors(stFile(ok, two)); err != nil {
		t.Fatalf("the valid base case fails: %v", err)
	}
	if _, _, err := DecodeSafetensors(stFile(ok+"      ", two)); err != nil {
		t.Fatalf("space padding refused: %v", err)
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short for the 8-byte header length"},
		{"7 bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "too short"},
		{"header past end", stFile(ok, two)[:40], "runs past the end"},
		{"huge header", append(huge, '{', '}'), "more than the 104857600 accepted"},
		{"header length 1", stFile("{", nil), "too short for a JSON object"},
		{"not JSON", stFile("{nope}", nil), "not valid JSON"},
		{"not an object", stFile("[1,2]", nil), "does not start with '{'"},
		{"cut JSON", stFile(`{"a":{"dtype":"F32"`, nil), "not valid JSON"},
		{"junk after JSON", stFile(ok+"xx", two), "bytes after its JSON object"},
		{"second object", stFile(ok+"{}", two), "bytes after its JSON object"},
		{"F16", stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, two[:4]), `dtype "F16"; convlab reads only F32`},
		{"BF16", stFile(`{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, two[:4]), "only F32"},
		{"missing dtype", stFile(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, two), "needs dtype, shape and data_offsets"},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, two), `unknown field "x"`},
		{"field in capitals", stFile(`{"a":{"DTYPE":"F32","shape":[2],"data_offsets":[0,8]}}`, two), `unknown field "DTYPE"`},
		{"field twice", stFile(`{"a":{"dtype":"F16","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two), `key "dtype" appears twice`},
		{"entry not object", stFile(`{"a":5}`, nil), "must be an object"},
		{"dtype not a string", stFile(`{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, two), "dtype is malformed"},
		{"metadata key twice", stFile(`{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two), `key "k" appears twice`},
		{"shape not numbers", stFile(`{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, two), "malformed"},
		{"fractional dim", stFile(`{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, two), "malformed"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, two), "negative dimension"},
		{"overflowing dims", stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, two), "far more values than the file holds"},
		{"dim beyond int64", stFile(`{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}`, two), "malformed"},
		{"too many dims", stFile(`{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}`, two), "10 dimensions"},
		{"shape vs offsets", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, two), "needs 12 bytes of F32 but data_offsets [0, 8] cover 8"},
		{"three offsets", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, two), "must be [begin, end]"},
		{"reversed offsets", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, two), "not a valid range"},
		{"negative offset", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, two), "not a valid range"},
		{"offsets past buffer", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, two), "run past the 8-byte data buffer"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), "overlap the previous tensor"},
		{"gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), "leave a gap after byte 0"},
		{"trailing data", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, two), "cover 4 bytes but the data buffer has 8"},
		{"duplicate name", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, two), `names "a" twice`},
		{"metadata not strings", stFile(`{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two), "__metadata__ must map strings to strings"},
		{"metadata not object", stFile(`{"__metadata__":"x","a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, two), "__metadata__ must map"},
		{"too many tensors", stFile("{"+manyEmpty(MaxTensors+1)+"}", nil), "more than 10000 tensors"},
		{"NaN value", stFile(ok, f32s(1, float32(math.NaN()))), "value 1 is NaN"},
		{"Inf value", stFile(ok, f32s(float32(math.Inf(1)), 0)), "value 0 is +Inf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts, _, err := DecodeSafetensors(c.file)
			if err == nil {
				t.Fatalf("accepted (%d tensors)", len(ts))
			}
			var se *SafetensorsError
			if !errors.As(err, &se) {
				t.Fatalf("error %T, want *SafetensorsError", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// manyEmpty is a header body listing n empty tensors t0, t1, ...
func manyEmpty(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	return b.String()
}

func BenchmarkDecodeSafetensors(b *testing.B) {
	// The size of the reference network: 32·9+32 + 64·32·9+64 + 3136·10+10.
	ts := []Tensor{
		{Name: "0.weight", Shape: []int{32, 1, 3, 3}, Data: make([]float32, 288)},
		{Name: "0.bias", Shape: []int{32}, Data: make([]float32, 32)},
		{Name: "3.weight", Shape: []int{64, 32, 3, 3}, Data: make([]float32, 18432)},
		{Name: "3.bias", Shape: []int{64}, Data: make([]float32, 64)},
		{Name: "7.weight", Shape: []int{10, 3136}, Data: make([]float32, 31360)},
		{Name: "7.bias", Shape: []int{10}, Data: make([]float32, 10)},
	}
	file, err := EncodeSafetensors(ts, map[string]string{"preset": "reference"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeSafetensors(file); err != nil {
			b.Fatal(err)
		}
	}
}
