package mnist

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/convlab/convlab/internal/atomicfile"
)

// A checkpoint is the whole state of a Trainer in one safetensors file, so
// that training stopped at any step continues, after a restore, exactly as
// if it had never stopped (the same bits: training is deterministic, and
// every number that the next steps read is saved exactly):
//
//	tensors   "<param>" (e.g. "0.weight")  the network, as Save writes it
//	          "adam.m.<param>", "adam.v.<param>"  Adam's moments (after a step)
//	          "sgd.momentum.<param>"        SGD's momentum buffers (after a step)
//	          "trainer.perm"                the epoch's shuffled order (indices
//	                                        are exact in float32 below 2^24)
//	metadata  format "convlab-checkpoint", checkpoint_version, preset,
//	          config (TrainConfig as JSON), adam_steps, step, epoch, pos,
//	          images, epoch_loss, epoch_correct, epoch_images, sec_per_image,
//	          rng_shuffle / rng_augment (the PCG states, hex), train_size and
//	          train_labels (SHA-256 of the training labels: the same data),
//	          "x.<key>" entries of the caller (EncodeCheckpoint's extra), and
//	          checksum: SHA-256 over every tensor (name, shape, bits) and
//	          every other metadata entry, so that a flipped byte anywhere is
//	          refused rather than trained on.
//
// A checkpoint is a valid safetensors file; its network tensors keep the
// names of a saved model.

// CheckpointFormat is the "format" metadata entry of a checkpoint.
const CheckpointFormat = "convlab-checkpoint"

// checkpointVersion changes when the layout above changes.
const checkpointVersion = "1"

// CheckpointError says why a checkpoint was refused.
type CheckpointError struct{ Msg string }

func (e *CheckpointError) Error() string { return "checkpoint: " + e.Msg }

func ckErr(format string, args ...any) error {
	return &CheckpointError{Msg: fmt.Sprintf(format, args...)}
}

// EncodeCheckpoint returns the trainer's whole state as a safetensors
// file. extra (may be nil) is stored with it and returned by
// DecodeCheckpoint: the caller's own state (keys must be non-empty).
// It fails if the network or the optimizer holds a NaN or an infinity
// (the training diverged: such a state is not worth keeping).
func (t *Trainer) EncodeCheckpoint(extra map[string]string) ([]byte, error) {
	ts := t.net.Tensors()
	var steps int
	switch o := t.opt.(type) {
	case *Adam:
		steps = o.t
		if o.m != nil {
			for i, p := range t.net.ps {
				ts = append(ts, Tensor{Name: "adam.m." + p.Name, Shape: p.Shape, Data: o.m[i]},
					Tensor{Name: "adam.v." + p.Name, Shape: p.Shape, Data: o.v[i]})
			}
		}
	case *SGD:
		if o.buf != nil {
			steps = 1 // buffers exist: the next step is not the first
			for i, p := range t.net.ps {
				ts = append(ts, Tensor{Name: "sgd.momentum." + p.Name, Shape: p.Shape, Data: o.buf[i]})
			}
		}
	default:
		return nil, ckErr("optimizer %q cannot be checkpointed", t.opt.Name())
	}
	perm := make([]float32, len(t.perm))
	for i, k := range t.perm {
		perm[i] = float32(k)
	}
	ts = append(ts, Tensor{Name: "trainer.perm", Shape: []int{len(perm)}, Data: perm})

	cfg, err := json.Marshal(t.cfg)
	if err != nil {
		return nil, err
	}
	shuf, err := t.rngSrc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	aug, err := t.augSrc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	f64 := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	meta := map[string]string{
		"format":             CheckpointFormat,
		"checkpoint_version": checkpointVersion,
		"preset":             t.net.preset,
		"config":             string(cfg),
		"optimizer_steps":    strconv.Itoa(steps),
		"step":               strconv.Itoa(t.step),
		"epoch":              strconv.Itoa(t.epoch),
		"pos":                strconv.Itoa(t.pos),
		"images":             strconv.Itoa(t.images),
		"epoch_loss":         f64(t.epochLoss),
		"epoch_correct":      strconv.Itoa(t.epochCorrect),
		"epoch_images":       strconv.Itoa(t.epochImages),
		"sec_per_image":      f64(t.secPerImage),
		"rng_shuffle":        hex.EncodeToString(shuf),
		"rng_augment":        hex.EncodeToString(aug),
		"train_size":         strconv.Itoa(t.train.N),
		"train_labels":       labelsDigest(t.train.Labels),
	}
	for k, v := range extra {
		if k == "" {
			return nil, ckErr("an extra entry has an empty key")
		}
		meta["x."+k] = v
	}
	for _, tn := range ts {
		if j := firstNonFinite(tn.Data); j >= 0 {
			return nil, ckErr("tensor %q value %d is %v: the training diverged, so this state is not saved", tn.Name, j, tn.Data[j])
		}
	}
	meta["checksum"] = checkpointSum(ts, meta)
	return EncodeSafetensors(ts, meta)
}

// Steps is the number of Steps done (restored with a checkpoint).
func (t *Trainer) Steps() int { return t.step }

// SaveCheckpoint writes EncodeCheckpoint(nil) to path atomically (temp
// file, fsync, rename): a reader sees the old checkpoint or the new one,
// never half of one.
func (t *Trainer) SaveCheckpoint(path string) error {
	return t.SaveCheckpointExtra(path, nil)
}

// SaveCheckpointExtra is SaveCheckpoint with the caller's extra state.
func (t *Trainer) SaveCheckpointExtra(path string, extra map[string]string) error {
	b, err := t.EncodeCheckpoint(extra)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// MaxCheckpointFile bounds the checkpoint files LoadCheckpoint reads (a
// checkpoint of the reference net with Adam is about 1 MB).
const MaxCheckpointFile = 64 << 20

// LoadCheckpoint reads a checkpoint from path and returns a trainer that
// continues it on train and test (the data it was made on: the size and
// the labels are checked) with the checkpoint's own configuration.
func LoadCheckpoint(path string, train, test *Set) (*Trainer, error) {
	b, err := atomicfile.ReadFile(path, MaxCheckpointFile)
	if err != nil {
		return nil, err
	}
	t, _, err := DecodeCheckpoint(b, train, test)
	return t, err
}

// CheckpointConfig reads only the configuration of a checkpoint (after
// checking its integrity), e.g. to decide which data to load.
func CheckpointConfig(b []byte) (TrainConfig, error) {
	_, meta, err := openCheckpoint(b)
	if err != nil {
		return TrainConfig{}, err
	}
	return checkpointConfig(meta)
}

// DecodeCheckpoint checks a checkpoint (format, checksum, configuration,
// data set, every tensor's name and shape, the counters) and returns a
// trainer that continues it, with the caller's extra entries. Any problem
// is a *CheckpointError (or a *SafetensorsError for a file that is not
// even safetensors) that says what is wrong.
func DecodeCheckpoint(b []byte, train, test *Set) (*Trainer, map[string]string, error) {
	ts, meta, err := openCheckpoint(b)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := checkpointConfig(meta)
	if err != nil {
		return nil, nil, err
	}
	t, err := NewTrainer(cfg, train, test)
	if err != nil {
		return nil, nil, err
	}
	if err := t.restore(ts, meta); err != nil {
		return nil, nil, err
	}
	extra := map[string]string{}
	for k, v := range meta {
		if strings.HasPrefix(k, "x.") {
			extra[k[2:]] = v
		}
	}
	return t, extra, nil
}

// RestoreCheckpoint replaces t's state with a checkpoint's. The
// checkpoint must have been made with t's configuration (same network,
// optimizer, learning rate, batch size, seed, shift) and data; on error t
// is unchanged.
func (t *Trainer) RestoreCheckpoint(b []byte) error {
	ts, meta, err := openCheckpoint(b)
	if err != nil {
		return err
	}
	cfg, err := checkpointConfig(meta)
	if err != nil {
		return err
	}
	if cfg.Net != t.cfg.Net {
		return ckErr("it holds the %s network, this trainer trains the %s network", cfg.Net, t.cfg.Net)
	}
	if cfg != t.cfg {
		return ckErr("it was made with settings %+v, this trainer has %+v", cfg, t.cfg)
	}
	// Restore into a fresh trainer first so that t stays whole on error.
	fresh, err := NewTrainer(cfg, t.train, t.test)
	if err != nil {
		return err
	}
	if err := fresh.restore(ts, meta); err != nil {
		return err
	}
	t.net.CopyFrom(fresh.net)
	t.opt = fresh.opt
	t.rngSrc, t.augSrc, t.rng, t.augRng = fresh.rngSrc, fresh.augSrc, fresh.rng, fresh.augRng
	t.perm, t.pos, t.epoch, t.step, t.images = fresh.perm, fresh.pos, fresh.epoch, fresh.step, fresh.images
	t.epochLoss, t.epochCorrect, t.epochImages, t.secPerImage = fresh.epochLoss, fresh.epochCorrect, fresh.epochImages, fresh.secPerImage
	return nil
}

// openCheckpoint decodes the safetensors file and checks that it is a
// checkpoint of this version whose checksum matches.
func openCheckpoint(b []byte) ([]Tensor, map[string]string, error) {
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: the file is damaged or not a checkpoint (%w)", err)
	}
	if meta["format"] != CheckpointFormat {
		if meta["preset"] != "" {
			return nil, nil, ckErr("the file is a model, not a training checkpoint (its format is %q, want %q)", meta["format"], CheckpointFormat)
		}
		return nil, nil, ckErr("the file is not a convlab training checkpoint (format %q, want %q)", meta["format"], CheckpointFormat)
	}
	if v := meta["checkpoint_version"]; v != checkpointVersion {
		return nil, nil, ckErr("version %q, this program reads version %s", v, checkpointVersion)
	}
	want := meta["checksum"]
	if want == "" {
		return nil, nil, ckErr("it has no checksum")
	}
	if got := checkpointSum(ts, meta); got != want {
		return nil, nil, ckErr("the checksum does not match (the file was damaged or edited): stored %.16s…, computed %.16s…", want, got)
	}
	return ts, meta, nil
}

func checkpointConfig(meta map[string]string) (TrainConfig, error) {
	var cfg TrainConfig
	dec := json.NewDecoder(strings.NewReader(meta["config"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, ckErr("its configuration does not decode: %v", err)
	}
	if cfg != cfg.WithDefaults() {
		return cfg, ckErr("its configuration %+v is incomplete", cfg)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, ckErr("its configuration is invalid: %v", err)
	}
	if meta["preset"] != cfg.Net {
		return cfg, ckErr("its preset %q and its configuration's network %q differ", meta["preset"], cfg.Net)
	}
	return cfg, nil
}

// restore loads a checkpoint's tensors and counters into a fresh trainer
// of the checkpoint's configuration.
func (t *Trainer) restore(ts []Tensor, meta map[string]string) error {
	n, err := strconv.Atoi(meta["train_size"])
	if err != nil || n != t.train.N {
		return ckErr("it was made on a training set of %s images, this one has %d", meta["train_size"], t.train.N)
	}
	if d := labelsDigest(t.train.Labels); meta["train_labels"] != d {
		return ckErr("it was made on another training set (its labels differ)")
	}
	byName := make(map[string]Tensor, len(ts))
	for _, tn := range ts {
		byName[tn.Name] = tn
	}
	take := func(name string, shape []int, dst []float32) error {
		tn, ok := byName[name]
		if !ok {
			return ckErr("it lacks tensor %q (shape %v)", name, shape)
		}
		if !equalShape(tn.Shape, shape) || len(tn.Data) != len(dst) {
			return ckErr("tensor %q has shape %v, the %s network needs %v", name, tn.Shape, t.cfg.Net, shape)
		}
		copy(dst, tn.Data)
		delete(byName, name)
		return nil
	}
	for _, p := range t.net.ps {
		if err := take(p.Name, p.Shape, p.Data); err != nil {
			return err
		}
	}
	steps, err := strconv.Atoi(meta["optimizer_steps"])
	if err != nil || steps < 0 {
		return ckErr("optimizer_steps %q is not a count", meta["optimizer_steps"])
	}
	switch o := t.opt.(type) {
	case *Adam:
		o.t = steps
		if steps > 0 {
			for _, p := range t.net.ps {
				m, v := make([]float32, len(p.Data)), make([]float32, len(p.Data))
				if err := take("adam.m."+p.Name, p.Shape, m); err != nil {
					return err
				}
				if err := take("adam.v."+p.Name, p.Shape, v); err != nil {
					return err
				}
				o.m, o.v = append(o.m, m), append(o.v, v)
			}
		}
	case *SGD:
		if steps > 0 {
			for _, p := range t.net.ps {
				buf := make([]float32, len(p.Data))
				if err := take("sgd.momentum."+p.Name, p.Shape, buf); err != nil {
					return err
				}
				o.buf = append(o.buf, buf)
			}
		}
	}
	perm := make([]float32, t.train.N)
	if err := take("trainer.perm", []int{t.train.N}, perm); err != nil {
		return err
	}
	seen := make([]bool, t.train.N)
	for i, v := range perm {
		k := int(v)
		if float32(k) != v || k < 0 || k >= t.train.N || seen[k] {
			return ckErr("trainer.perm is not an order of the %d training images (value %d is %v)", t.train.N, i, v)
		}
		seen[k] = true
		t.perm[i] = int32(k)
	}
	if len(byName) > 0 {
		var extra []string
		for k := range byName {
			extra = append(extra, k)
		}
		sort.Strings(extra)
		return ckErr("it has tensors a %s/%s trainer does not: %s", t.cfg.Net, t.cfg.Optimizer, strings.Join(extra, ", "))
	}

	ints := map[string]*int{"step": &t.step, "epoch": &t.epoch, "pos": &t.pos, "images": &t.images,
		"epoch_correct": &t.epochCorrect, "epoch_images": &t.epochImages}
	for k, dst := range ints {
		v, err := strconv.Atoi(meta[k])
		if err != nil || v < 0 {
			return ckErr("%s %q is not a count", k, meta[k])
		}
		*dst = v
	}
	if t.pos > t.train.N || (t.epoch == 0 && t.pos != t.train.N) || t.epochImages > t.train.N || t.epochCorrect > t.epochImages {
		return ckErr("its counters do not fit together (epoch %d, position %d of %d, %d of %d images right)",
			t.epoch, t.pos, t.train.N, t.epochCorrect, t.epochImages)
	}
	if adam, ok := t.opt.(*Adam); ok && adam.t != t.step {
		return ckErr("Adam made %d steps but the trainer %d", adam.t, t.step)
	}
	floats := map[string]*float64{"epoch_loss": &t.epochLoss, "sec_per_image": &t.secPerImage}
	for k, dst := range floats {
		v, err := strconv.ParseFloat(meta[k], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return ckErr("%s %q is not a finite number", k, meta[k])
		}
		*dst = v
	}
	for _, r := range []struct {
		key string
		src *rand.PCG
	}{{"rng_shuffle", t.rngSrc}, {"rng_augment", t.augSrc}} {
		b, err := hex.DecodeString(meta[r.key])
		if err == nil {
			err = r.src.UnmarshalBinary(b)
		}
		if err != nil {
			return ckErr("random generator state %s does not decode: %v", r.key, err)
		}
	}
	return nil
}

// checkpointSum is the SHA-256 (hex) of every tensor (name, shape, value
// bits, in the given order) and every metadata entry but "checksum"
// (sorted by key), each length-prefixed so that no two contents collide.
func checkpointSum(ts []Tensor, meta map[string]string) string {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	sorted := append([]Tensor(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	buf := make([]byte, 0, 4096)
	for _, tn := range sorted {
		str(tn.Name)
		str(fmt.Sprint(tn.Shape))
		for _, v := range tn.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			if len(buf) == cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
		buf = buf[:0]
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != "checksum" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		str(k)
		str(meta[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// labelsDigest identifies a training set by its labels (cheap, and a
// different data set or order has different labels).
func labelsDigest(labels []uint8) string {
	s := sha256.Sum256(labels)
	return hex.EncodeToString(s[:16])
}
