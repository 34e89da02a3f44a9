// Package live runs the one shared training run of a convlab server and
// broadcasts its progress to every viewer over Server-Sent Events.
//
// A Manager owns the run: Start, Pause and Reset drive a single background
// goroutine that steps an Engine (the MNIST trainer, or a fake in tests),
// evaluates it on the test set at least every EvalEvery of training, and
// publishes progress, evaluations, filters and feature maps to a Hub. The
// Hub never blocks the training goroutine: each viewer keeps only the
// latest event of each kind, so a slow viewer skips intermediate progress.
package live

import (
	"bytes"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/jsonreq"
	"github.com/convlab/convlab/mnist"
)

// Bounds on the hyperparameters a viewer may choose.
// The learning rate's bounds are the trainer's own (mnist.MinLR,
// mnist.MaxLR), so a value the API takes is one the trainer runs.
const (
	MinLR        = mnist.MinLR
	MaxLR        = mnist.MaxLR
	MinBatchSize = 1
	MaxBatchSize = 512
)

// Config chooses a run's network and optimizer. Zero fields take the
// defaults of DefaultConfig when passed through WithDefaults.
type Config struct {
	Net       string  `json:"net"`        // "small" | "reference"
	Optimizer string  `json:"optimizer"`  // "adam" | "sgd"
	LR        float64 `json:"lr"`         // MinLR..MaxLR (1e-6..1)
	BatchSize int     `json:"batch_size"` // 1..512
	// Augment trains on randomly rotated, scaled, shifted, thickened or
	// thinned copies of the images (mnist.TrainConfig.Augment).
	Augment bool `json:"augment"`
}

// DefaultConfig is the quick classroom run: the small network with Adam.
func DefaultConfig() Config {
	return Config{Net: "small", Optimizer: "adam", LR: 0.002, BatchSize: 64}
}

// WithDefaults fills the zero fields of c from DefaultConfig. The learning
// rate default follows the optimizer (SGD with momentum wants a larger one).
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Net == "" {
		c.Net = d.Net
	}
	if c.Optimizer == "" {
		c.Optimizer = d.Optimizer
	}
	if c.LR == 0 {
		c.LR = d.LR
		if c.Optimizer == "sgd" {
			c.LR = 0.05
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	return c
}

// Validate reports the first field out of bounds, in words for a student
// (an *apperr.Error of kind Invalid).
func (c Config) Validate() error {
	bad := func(code string, args ...apperr.Arg) error {
		return apperr.New(apperr.Invalid, code, args...)
	}
	switch c.Net {
	case "small", "reference":
	default:
		return bad("train_net", apperr.Q("got", c.Net))
	}
	switch c.Optimizer {
	case "adam", "sgd":
	default:
		return bad("train_optimizer", apperr.Q("got", c.Optimizer))
	}
	if !(c.LR >= MinLR && c.LR <= MaxLR) { // also catches NaN
		return bad("train_lr", apperr.A("min", MinLR), apperr.A("max", MaxLR))
	}
	if c.BatchSize < MinBatchSize || c.BatchSize > MaxBatchSize {
		return bad("train_batch", apperr.A("min", MinBatchSize), apperr.A("max", MaxBatchSize), apperr.A("got", c.BatchSize))
	}
	return nil
}

// ParseConfig decodes an optional JSON start body ({"net", "optimizer",
// "lr", "batch_size", "augment"}; empty means all defaults) with the one
// request decoder (internal/jsonreq), fills defaults and validates. Its
// errors are *apperr.Error, worded for a student.
func ParseConfig(body []byte) (Config, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return DefaultConfig(), nil
	}
	var raw struct {
		Net       *string  `json:"net"`
		Optimizer *string  `json:"optimizer"`
		LR        *float64 `json:"lr"`
		BatchSize *int     `json:"batch_size"`
		Augment   *bool    `json:"augment"`
	}
	if err := jsonreq.Decode(body, &raw); err != nil {
		return Config{}, err
	}
	var c Config
	if raw.Net != nil {
		c.Net = *raw.Net
		if c.Net == "" {
			return Config{}, apperr.New(apperr.Invalid, "train_net", apperr.Q("got", ""))
		}
	}
	if raw.Optimizer != nil {
		c.Optimizer = *raw.Optimizer
		if c.Optimizer == "" {
			return Config{}, apperr.New(apperr.Invalid, "train_optimizer", apperr.Q("got", ""))
		}
	}
	c = c.WithDefaults()
	if raw.LR != nil {
		c.LR = *raw.LR
	}
	if raw.BatchSize != nil {
		c.BatchSize = *raw.BatchSize
	}
	if raw.Augment != nil {
		c.Augment = *raw.Augment
	}
	return c, c.Validate()
}
