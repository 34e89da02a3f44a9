package mnist

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sameTrainer fails unless a and b hold the same bits: weights, optimizer
// state, shuffled order, counters and random generators.
func sameTrainer(t *testing.T, what string, a, b *Trainer) {
	t.Helper()
	bitsEqual := func(name string, x, y []float32) {
		t.Helper()
		if len(x) != len(y) {
			t.Fatalf("%s: %s has %d values vs %d", what, name, len(x), len(y))
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				t.Fatalf("%s: %s[%d] = %v vs %v", what, name, i, x[i], y[i])
			}
		}
	}
	for i, p := range a.net.ps {
		bitsEqual(p.Name, p.Data, b.net.ps[i].Data)
	}
	switch oa := a.opt.(type) {
	case *Adam:
		ob := b.opt.(*Adam)
		if oa.t != ob.t || len(oa.m) != len(ob.m) {
			t.Fatalf("%s: Adam steps %d vs %d, %d vs %d moments", what, oa.t, ob.t, len(oa.m), len(ob.m))
		}
		for i := range oa.m {
			bitsEqual("adam.m", oa.m[i], ob.m[i])
			bitsEqual("adam.v", oa.v[i], ob.v[i])
		}
	case *SGD:
		ob := b.opt.(*SGD)
		if len(oa.buf) != len(ob.buf) {
			t.Fatalf("%s: SGD buffers %d vs %d", what, len(oa.buf), len(ob.buf))
		}
		for i := range oa.buf {
			bitsEqual("sgd.momentum", oa.buf[i], ob.buf[i])
		}
	}
	if a.step != b.step || a.epoch != b.epoch || a.pos != b.pos || a.images != b.images ||
		a.epochLoss != b.epochLoss || a.epochCorrect != b.epochCorrect || a.epochImages != b.epochImages {
		t.Fatalf("%s: counters differ: %d/%d/%d/%d/%v/%d/%d vs %d/%d/%d/%d/%v/%d/%d", what,
			a.step, a.epoch, a.pos, a.images, a.epochLoss, a.epochCorrect, a.epochImages,
			b.step, b.epoch, b.pos, b.images, b.epochLoss, b.epochCorrect, b.epochImages)
	}
	for i := range a.perm {
		if a.perm[i] != b.perm[i] {
			t.Fatalf("%s: perm[%d] = %d vs %d", what, i, a.perm[i], b.perm[i])
		}
	}
	for _, src := range [][2]*rand.PCG{{a.rngSrc, b.rngSrc}, {a.augSrc, b.augSrc}} {
		x, _ := src[0].MarshalBinary()
		y, _ := src[1].MarshalBinary()
		if !bytes.Equal(x, y) {
			t.Fatalf("%s: random generators differ", what)
		}
	}
}

// sameProgress compares everything but the speed (a measured time).
func sameProgress(t *testing.T, what string, a, b Progress) {
	t.Helper()
	a.ImagesPerSecond, b.ImagesPerSecond = 0, 0
	if a != b {
		t.Fatalf("%s: progress %+v vs %+v", what, a, b)
	}
}

// TestCheckpointContinuesExactly: train k steps, checkpoint, restore into
// a fresh trainer, train m more; the result is bit for bit that of k+m
// steps straight (exact, not within a tolerance: training is
// deterministic for a given state, and the checkpoint saves every number
// the next steps read, float64 counters included, without rounding).
func TestCheckpointContinuesExactly(t *testing.T) {
	set := RandomSet(50, 3)
	test := RandomSet(20, 4)
	for _, tc := range []struct {
		name string
		cfg  TrainConfig
		k, m int
	}{
		{"adam before any step", TrainConfig{Net: "small", BatchSize: 20, Seed: 2}, 0, 4},
		{"adam mid-epoch", TrainConfig{Net: "small", BatchSize: 20, Seed: 2}, 4, 4},
		{"adam at an epoch end", TrainConfig{Net: "small", BatchSize: 20, Seed: 2}, 3, 4},
		{"sgd with shift mid-epoch", TrainConfig{Net: "small", Optimizer: "sgd", BatchSize: 16, Seed: 9, Shift: 2}, 5, 5},
		{"sgd before any step", TrainConfig{Net: "small", Optimizer: "sgd", BatchSize: 16, Seed: 9}, 0, 2},
		{"reference adam", TrainConfig{Net: "reference", BatchSize: 10, Seed: 1, Shift: 1}, 2, 2},
		{"augment with lr decay across an epoch", TrainConfig{Net: "small", BatchSize: 20, Seed: 5, Augment: true, LRDecay: 0.5}, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			straight, err := NewTrainer(tc.cfg, set, test)
			if err != nil {
				t.Fatal(err)
			}
			var want []Progress
			for range tc.k + tc.m {
				want = append(want, straight.Step())
			}

			first, _ := NewTrainer(tc.cfg, set, test)
			for range tc.k {
				first.Step()
			}
			b, err := first.EncodeCheckpoint(map[string]string{"note": "from the test"})
			if err != nil {
				t.Fatal(err)
			}
			resumed, extra, err := DecodeCheckpoint(b, set, test)
			if err != nil {
				t.Fatal(err)
			}
			if extra["note"] != "from the test" || len(extra) != 1 {
				t.Errorf("extra = %v", extra)
			}
			sameTrainer(t, "just restored", first, resumed)
			for i := range tc.m {
				sameProgress(t, "step after restore", want[tc.k+i], resumed.Step())
			}
			sameTrainer(t, "k+m steps", straight, resumed)
			if a, b := straight.Evaluate(0), resumed.Evaluate(0); a.Loss != b.Loss || a.Accuracy != b.Accuracy {
				t.Errorf("evaluations differ: %v/%v vs %v/%v", a.Loss, a.Accuracy, b.Loss, b.Accuracy)
			}
		})
	}
}

// TestCheckpointFileAndRestoreInPlace: SaveCheckpoint writes atomically
// (no temporary file left), LoadCheckpoint reads it back, and
// RestoreCheckpoint rewinds a trainer that went on.
func TestCheckpointFileAndRestoreInPlace(t *testing.T) {
	set := RandomSet(40, 5)
	cfg := TrainConfig{Net: "small", Optimizer: "sgd", BatchSize: 16, Seed: 3}
	tr, _ := NewTrainer(cfg, set, nil)
	for range 3 {
		tr.Step()
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt.safetensors")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("the folder holds %d entries after a save, want only the checkpoint", len(ents))
	}
	loaded, err := LoadCheckpoint(path, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameTrainer(t, "loaded", tr, loaded)
	if c, err := CheckpointConfig(mustRead(t, path)); err != nil || c != tr.Config() {
		t.Errorf("CheckpointConfig = %+v, %v; want %+v", c, err, tr.Config())
	}

	// Go on, then rewind in place: the next step is the one after the save.
	want := loaded.Step()
	tr.Step()
	tr.Step()
	if err := tr.RestoreCheckpoint(mustRead(t, path)); err != nil {
		t.Fatal(err)
	}
	sameProgress(t, "rewound", want, tr.Step())

	// A state that cannot be saved (diverged) leaves the old file as it was.
	old := mustRead(t, path)
	tr.net.ps[0].Data[0] = float32(math.NaN())
	if err := tr.SaveCheckpoint(path); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("saving a NaN weight: %v, want a refusal that says the training diverged", err)
	}
	if !bytes.Equal(old, mustRead(t, path)) {
		t.Fatal("a failed save changed the checkpoint file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("a failed save left %d entries", len(ents))
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkpointParts decodes a checkpoint for tests that tamper with it.
func checkpointParts(t *testing.T, b []byte) ([]Tensor, map[string]string) {
	t.Helper()
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	return ts, meta
}

// resign encodes tampered parts with a fresh checksum, so that the checks
// behind the checksum are reached.
func resign(t *testing.T, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	meta["checksum"] = checkpointSum(ts, meta)
	b, err := EncodeSafetensors(ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckpointRefusesDamage: a truncated file or one with any flipped
// byte is refused with a message, never restored.
func TestCheckpointRefusesDamage(t *testing.T) {
	set := RandomSet(30, 7)
	tr, _ := NewTrainer(TrainConfig{Net: "small", BatchSize: 8, Seed: 1, Shift: 1}, set, nil)
	for range 2 {
		tr.Step()
	}
	good, err := tr.EncodeCheckpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecodeCheckpoint(good, set, nil); err != nil {
		t.Fatalf("the untouched checkpoint: %v", err)
	}
	refused := func(what string, b []byte) {
		t.Helper()
		_, _, err := DecodeCheckpoint(b, set, nil)
		if err == nil {
			t.Fatalf("%s: restored", what)
		}
		if !strings.HasPrefix(err.Error(), "checkpoint: ") {
			t.Fatalf("%s: error %q does not say it is about the checkpoint", what, err)
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 100, len(good) / 2, len(good) - 4, len(good) - 1} {
		refused("truncated to "+strconv.Itoa(n)+" bytes", good[:n])
	}
	refused("with a byte appended", append(append([]byte(nil), good...), 0))
	// Flip a bit in every byte of the header and in bytes spread over the
	// data (the checksum covers them all; checking each of the ~140,000
	// would take a minute).
	hdr := 8 + int(uint64(good[0])|uint64(good[1])<<8|uint64(good[2])<<16)
	stride := 101
	if testing.Short() {
		stride = 997
	}
	bad := append([]byte(nil), good...)
	for i := 0; i < len(good); i++ {
		if i >= hdr && (i-hdr)%stride != 0 && i != len(good)-1 {
			continue
		}
		bad[i] ^= 0x01
		refused("byte "+strconv.Itoa(i)+" flipped", bad)
		bad[i] = good[i]
	}
}

// TestCheckpointRefusesMismatches: an intact file that does not fit (other
// network, settings, data, shapes, a model instead of a checkpoint) is
// refused with a message that names the problem.
func TestCheckpointRefusesMismatches(t *testing.T) {
	set := RandomSet(30, 7)
	cfg := TrainConfig{Net: "small", BatchSize: 8, Seed: 1}
	tr, _ := NewTrainer(cfg, set, nil)
	for range 2 {
		tr.Step()
	}
	good, err := tr.EncodeCheckpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	tamper := func(f func(ts []Tensor, meta map[string]string) []Tensor) []byte {
		ts, meta := checkpointParts(t, good)
		ts = f(ts, meta)
		return resign(t, ts, meta)
	}
	find := func(ts []Tensor, name string) int {
		for i, tn := range ts {
			if tn.Name == name {
				return i
			}
		}
		t.Fatalf("no tensor %q", name)
		return -1
	}
	model, _ := tr.Net().Encode()
	other := RandomSet(30, 8)

	for _, tc := range []struct {
		name string
		b    []byte
		into *Trainer // RestoreCheckpoint into it (nil: DecodeCheckpoint on set)
		data *Set
		want string
	}{
		{"wrong preset", good, mustTrainer(t, TrainConfig{Net: "reference", BatchSize: 8, Seed: 1}, set), nil,
			"holds the small network, this trainer trains the reference network"},
		{"other settings", good, mustTrainer(t, TrainConfig{Net: "small", BatchSize: 8, Seed: 1, LR: 0.01}, set), nil, "settings"},
		{"other data set", good, nil, other, "another training set"},
		{"other data size", good, nil, RandomSet(31, 7), "training set of 30 images, this one has 31"},
		{"a model file", model, nil, nil, "is a model, not a training checkpoint"},
		{"not a checkpoint", []byte("hello, this is not a file we wrote"), nil, nil, "damaged or not a checkpoint"},
		{"wrong shape", tamper(func(ts []Tensor, _ map[string]string) []Tensor {
			i := find(ts, "0.weight")
			ts[i].Shape = []int{4, 2, 5, 5}
			return ts
		}), nil, nil, `tensor "0.weight" has shape [4 2 5 5], the small network needs [8 1 5 5]`},
		{"wrong moment shape", tamper(func(ts []Tensor, _ map[string]string) []Tensor {
			i := find(ts, "adam.v.7.weight")
			ts[i].Shape = []int{784, 10}
			return ts
		}), nil, nil, `tensor "adam.v.7.weight" has shape [784 10]`},
		{"missing moments", tamper(func(ts []Tensor, _ map[string]string) []Tensor {
			return append(ts[:find(ts, "adam.m.3.bias")], ts[find(ts, "adam.m.3.bias")+1:]...)
		}), nil, nil, `lacks tensor "adam.m.3.bias"`},
		{"extra tensor", tamper(func(ts []Tensor, _ map[string]string) []Tensor {
			return append(ts, Tensor{Name: "9.weight", Shape: []int{1}, Data: []float32{1}})
		}), nil, nil, `tensors a small/adam trainer does not: 9.weight`},
		{"order with a repeat", tamper(func(ts []Tensor, _ map[string]string) []Tensor {
			p := ts[find(ts, "trainer.perm")]
			p.Data[1] = p.Data[0]
			return ts
		}), nil, nil, "trainer.perm is not an order"},
		{"position past the end", tamper(func(ts []Tensor, meta map[string]string) []Tensor {
			meta["pos"] = "31"
			return ts
		}), nil, nil, "counters do not fit"},
		{"steps disagree", tamper(func(ts []Tensor, meta map[string]string) []Tensor {
			meta["step"] = "5"
			return ts
		}), nil, nil, "Adam made 2 steps but the trainer 5"},
		{"broken generator", tamper(func(ts []Tensor, meta map[string]string) []Tensor {
			meta["rng_shuffle"] = "00ff"
			return ts
		}), nil, nil, "random generator state rng_shuffle"},
		{"other version", tamper(func(ts []Tensor, meta map[string]string) []Tensor {
			meta["checkpoint_version"] = "0"
			return ts
		}), nil, nil, `version "0"`},
		{"bad config", tamper(func(ts []Tensor, meta map[string]string) []Tensor {
			meta["config"] = `{"net":"small","optimizer":"adam","lr":7,"batch_size":8,"seed":1}`
			return ts
		}), nil, nil, "configuration is invalid: the learning rate"},
		{"checksum removed", func() []byte {
			ts, meta := checkpointParts(t, good)
			delete(meta, "checksum")
			b, _ := EncodeSafetensors(ts, meta)
			return b
		}(), nil, nil, "no checksum"},
		{"edited without re-signing", func() []byte {
			ts, meta := checkpointParts(t, good)
			ts[0].Data[0] += 0.5
			b, _ := EncodeSafetensors(ts, meta)
			return b
		}(), nil, nil, "checksum does not match"},
	} {
		var err error
		if tc.into != nil {
			before, _ := tc.into.EncodeCheckpoint(nil)
			err = tc.into.RestoreCheckpoint(tc.b)
			if after, _ := tc.into.EncodeCheckpoint(nil); !bytes.Equal(before, after) {
				t.Errorf("%s: a refused restore changed the trainer", tc.name)
			}
		} else {
			data := tc.data
			if data == nil {
				data = set
			}
			_, _, err = DecodeCheckpoint(tc.b, data, nil)
		}
		var ce *CheckpointError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "checkpoint: ") {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		} else if !errors.As(err, &ce) && !strings.Contains(err.Error(), "safetensors") {
			t.Errorf("%s: %T is neither a CheckpointError nor a safetensors error", tc.name, err)
		}
	}
}

func mustTrainer(t *testing.T, cfg TrainConfig, set *Set) *Trainer {
	t.Helper()
	tr, err := NewTrainer(cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// BenchmarkCheckpoint measures encoding a reference-network checkpoint
// (weights, Adam's moments, a 60,000-image order).
func BenchmarkCheckpoint(b *testing.B) {
	set := RandomSet(60000, 1)
	tr, _ := NewTrainer(TrainConfig{Net: "reference", BatchSize: 10}, set, nil)
	tr.Step()
	b.ReportAllocs()
	for b.Loop() {
		buf, err := tr.EncodeCheckpoint(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(buf)))
	}
}

// FuzzDecodeCheckpoint: whatever the bytes, decoding answers a trainer or
// an error, never a panic; what it accepts continues training.
func FuzzDecodeCheckpoint(f *testing.F) {
	set := RandomSet(12, 1)
	tr, _ := NewTrainer(TrainConfig{Net: "small", BatchSize: 4, Seed: 1}, set, nil)
	tr.Step()
	good, err := tr.EncodeCheckpoint(map[string]string{"k": "v"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(good[:200])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _, err := DecodeCheckpoint(b, set, nil)
		if err != nil {
			if got != nil || !strings.HasPrefix(err.Error(), "checkpoint: ") {
				t.Fatalf("error %q (trainer %v)", err, got != nil)
			}
			return
		}
		got.Step()
	})
}
