package quiz

import (
	"errors"
	"math"
	"testing"
)

// Only decimal numbers are answers: "NaN" used to be taken (and marked
// wrong) instead of being refused as not a number.
func TestCheckTakesOnlyNumbers(t *testing.T) {
	q, err := New(KindSize, 7)
	if err != nil {
		t.Fatal(err)
	}
	right := FormatNum(q.Answer)
	for _, a := range []string{"NaN", "nan", "Inf", "+Inf", "-inf", "infinity", "0x1p3", "1_0", "", ".", "e5", "1e", "1e+", "--1", "1.2.3", "1e999",
		"NaN x NaN", "Inf×Inf", "1x", "x1"} {
		if ok, err := q.Check(a); ok || !errors.Is(err, ErrAnswer) {
			t.Errorf("Check(%q) = %v, %v; want ErrAnswer", a, ok, err)
		}
	}
	for _, a := range []string{right, " " + right + " ", right + ".0", right + ".", "+" + right, right + "e0", right + "x" + right, right + " × " + right} {
		if ok, err := q.Check(a); !ok || err != nil {
			t.Errorf("Check(%q) = %v, %v; want right (answer %s)", a, ok, err, right)
		}
	}
	if ok, err := q.Check(".5"); ok || err != nil {
		t.Errorf(`Check(".5") = %v, %v; want wrong, no error`, ok, err)
	}
}

// Seeds stop at MaxSeed (exact in JavaScript); the next seed never wraps.
func TestSeedLimits(t *testing.T) {
	if _, err := New(KindCell, MaxSeed); err != nil {
		t.Errorf("New(MaxSeed): %v", err)
	}
	for _, s := range []uint64{MaxSeed + 1, math.MaxUint64} {
		if _, err := New(KindCell, s); !errors.Is(err, ErrSeed) {
			t.Errorf("New(%d): %v, want ErrSeed", s, err)
		}
	}
	if n, ok := Next(41); !ok || n != 42 {
		t.Errorf("Next(41) = %d, %v", n, ok)
	}
	for _, s := range []uint64{MaxSeed, math.MaxUint64} {
		if n, ok := Next(s); ok {
			t.Errorf("Next(%d) = %d: it wraps", s, n)
		}
	}
	if float64(MaxSeed) != float64(MaxSeed-1)+1 { // exact as a float64 (a JS number)
		t.Errorf("MaxSeed is not exact as a float64")
	}
}
