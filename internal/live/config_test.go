package live

import (
	"strings"
	"testing"

	"github.com/convlab/convlab/mnist"
)

// Whatever the API takes, the trainer runs: lr 1e-320 passed the API's
// check and the trainer then refused it.
func TestConfigBoundsAreTheTrainers(t *testing.T) {
	for _, lr := range []float64{MinLR, MaxLR, 1e-320, MinLR * 0.999, 0.5} {
		for _, opt := range []string{"adam", "sgd"} {
			c := Config{Net: "small", Optimizer: opt, LR: lr, BatchSize: MaxBatchSize}
			api := c.Validate()
			tr := mnist.TrainConfig{Net: c.Net, Optimizer: c.Optimizer, LR: c.LR, BatchSize: c.BatchSize}.Validate()
			if (api == nil) != (tr == nil) {
				t.Errorf("lr %g %s: the API says %v, the trainer says %v", lr, opt, api, tr)
			}
		}
	}
}

func TestParseConfig(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name    string
		body    string
		want    Config
		wantErr string // substring of the error; "" for none
	}{
		{"empty body takes the defaults", "", def, ""},
		{"empty object takes the defaults", "{}", def, ""},
		{"full", `{"net":"reference","optimizer":"sgd","lr":0.1,"batch_size":512}`,
			Config{Net: "reference", Optimizer: "sgd", LR: 0.1, BatchSize: 512}, ""},
		{"sgd gets its own default lr", `{"optimizer":"sgd"}`,
			Config{Net: "small", Optimizer: "sgd", LR: 0.05, BatchSize: def.BatchSize}, ""},
		{"lr 1 is allowed", `{"lr":1}`, Config{Net: "small", Optimizer: "adam", LR: 1, BatchSize: def.BatchSize}, ""},
		{"batch 1 is allowed", `{"batch_size":1}`, Config{Net: "small", Optimizer: "adam", LR: def.LR, BatchSize: 1}, ""},
		{"unknown net", `{"net":"huge"}`, Config{}, `net must be "small" or "reference"`},
		{"empty net", `{"net":""}`, Config{}, "net must be"},
		{"unknown optimizer", `{"optimizer":"rmsprop"}`, Config{}, "optimizer must be"},
		{"lr zero", `{"lr":0}`, Config{}, "lr (learning rate) must be between 1e-06 and 1"},
		{"lr below the trainer's minimum", `{"lr":1e-320}`, Config{}, "lr (learning rate) must be between 1e-06 and 1"},
		{"lr just below the minimum", `{"lr":9.99e-7}`, Config{}, "lr (learning rate)"},
		{"lr at the minimum", `{"lr":1e-6}`, Config{Net: "small", Optimizer: "adam", LR: 1e-6, BatchSize: def.BatchSize}, ""},
		{"lr negative", `{"lr":-0.1}`, Config{}, "lr (learning rate)"},
		{"lr too large", `{"lr":1.5}`, Config{}, "between 1e-06 and 1"},
		{"lr overflows", `{"lr":1e400}`, Config{}, "lr must be a number in range, got 1e400"},
		{"batch zero", `{"batch_size":0}`, Config{}, "batch_size must be between 1 and 512"},
		{"batch too large", `{"batch_size":513}`, Config{}, "batch_size must be between 1 and 512, not 513"},
		{"batch fractional", `{"batch_size":1.5}`, Config{}, "batch_size must be a whole number in range, got 1.5"},
		{"lr as string", `{"lr":"fast"}`, Config{}, "lr must be a number, got a string"},
		{"augment", `{"augment":true}`, Config{Net: "small", Optimizer: "adam", LR: def.LR, BatchSize: def.BatchSize, Augment: true}, ""},
		{"augment as string", `{"augment":"yes"}`, Config{}, "augment must be"},
		{"unknown field", `{"epochs":3}`, Config{}, "unknown field"},
		{"not an object", `[1,2]`, Config{}, "must be a JSON object"},
		{"two objects", `{} {}`, Config{}, "nothing after it"},
		{"broken JSON", `{"net":`, Config{}, "the JSON ends too early"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseConfig(%s) error = %v, want one containing %q", tc.body, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig(%s): %v", tc.body, err)
			}
			if got != tc.want {
				t.Fatalf("ParseConfig(%s) = %+v, want %+v", tc.body, got, tc.want)
			}
		})
	}
}
