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
	"encoding/json"
	"errors"
	"fmt"
	"io"

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

// Validate reports the first field out of bounds, in words for a student.
func (c Config) Validate() error {
	switch c.Net {
	case "small", "reference":
	default:
		return fmt.Errorf("net must be \"small\" or \"reference\", not %q", c.Net)
	}
	switch c.Optimizer {
	case "adam", "sgd":
	default:
		return fmt.Errorf("optimizer must be \"adam\" or \"sgd\", not %q", c.Optimizer)
	}
	if !(c.LR >= MinLR && c.LR <= MaxLR) { // also catches NaN
		return fmt.Errorf("lr (learning rate) must be between %g and %g", MinLR, MaxLR)
	}
	if c.BatchSize < MinBatchSize || c.BatchSize > MaxBatchSize {
		return fmt.Errorf("batch_size must be between %d and %d, not %d", MinBatchSize, MaxBatchSize, c.BatchSize)
	}
	return nil
}

// ParseConfig decodes an optional JSON start body ({"net", "optimizer",
// "lr", "batch_size"}; empty means all defaults), fills defaults and
// validates. Its errors are worded for a student.
func ParseConfig(body []byte) (Config, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return DefaultConfig(), nil
	}
	var raw struct {
		Net       *string  `json:"net"`
		Optimizer *string  `json:"optimizer"`
		LR        *float64 `json:"lr"`
		BatchSize *int     `json:"batch_size"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			want := map[string]string{"float64": "a number", "int": "a whole number", "string": "a string"}[te.Type.String()]
			if want == "" {
				want = te.Type.String()
			}
			return Config{}, fmt.Errorf("%s must be %s, not %s", te.Field, want, te.Value)
		case errors.As(err, &te):
			return Config{}, errors.New("the body must be a JSON object like {\"net\": \"small\", \"lr\": 0.001}")
		default:
			return Config{}, fmt.Errorf("the body is not valid JSON: %v", err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, errors.New("the body must hold one JSON object and nothing after it")
	}
	var c Config
	if raw.Net != nil {
		c.Net = *raw.Net
		if c.Net == "" {
			return Config{}, errors.New("net must be \"small\" or \"reference\", not empty")
		}
	}
	if raw.Optimizer != nil {
		c.Optimizer = *raw.Optimizer
		if c.Optimizer == "" {
			return Config{}, errors.New("optimizer must be \"adam\" or \"sgd\", not empty")
		}
	}
	c = c.WithDefaults()
	if raw.LR != nil {
		c.LR = *raw.LR
	}
	if raw.BatchSize != nil {
		c.BatchSize = *raw.BatchSize
	}
	return c, c.Validate()
}
