package live

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

func TestQuantize(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	bytesOf := func(m Map) []byte {
		b, err := base64.StdEncoding.DecodeString(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		m    Map
		want []byte
	}{
		{"unsigned: each channel to its own maximum", QuantizeUnsigned("c", 2, 1, 3, []float32{0, 1, 2, 0, 5, 10}), []byte{0, 128, 255, 0, 128, 255}},
		{"unsigned: a dead channel stays black", QuantizeUnsigned("c", 1, 1, 2, []float32{0, 0}), []byte{0, 0}},
		{"unsigned: NaN and Inf do not spoil the channel", QuantizeUnsigned("c", 1, 1, 4, []float32{nan, inf, 1, 2}), []byte{0, 255, 128, 255}},
		{"signed: 128 is zero", QuantizeSigned("w", 2, 1, 2, []float32{-1, 0, 0.5, 1}), []byte{1, 128, 192, 255}},
		{"signed: all zero", QuantizeSigned("w", 1, 1, 2, []float32{0, 0}), []byte{128, 128}},
		{"signed: NaN goes to 0, Inf is left out of the scale", QuantizeSigned("w", 1, 1, 3, []float32{nan, inf, -2}), []byte{0, 255, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytesOf(tc.m); !slices.Equal(got, tc.want) {
				t.Fatalf("bytes %v, want %v", got, tc.want)
			}
			if _, err := json.Marshal(tc.m); err != nil {
				t.Fatalf("the map does not encode: %v", err)
			}
		})
	}
	if got, _ := base64.StdEncoding.DecodeString(QuantizeImage([]float32{0, 0.5, 1, 2, -1, nan})); !slices.Equal(got, []byte{0, 128, 255, 255, 0, 0}) {
		t.Fatalf("QuantizeImage = %v", got)
	}
}

func TestEncodeEvent(t *testing.T) {
	e, err := Encode(KindProgress, Progress{Step: 3, Loss: finite(math.Inf(1))})
	if err != nil {
		t.Fatal(err)
	}
	want := `event: progress` + "\n" + `data: {"run":0,"step":3,"epoch":0,"epoch_progress":0,"loss":0,"train_accuracy":0,"images_per_second":0,"eta_seconds":0,"state":""}` + "\n\n"
	if string(e.Wire) != want {
		t.Fatalf("wire = %q, want %q", e.Wire, want)
	}
	if _, err := Encode(KindEval, math.NaN()); err == nil {
		t.Fatal("encoding NaN did not fail: JSON has no NaN")
	}
}
