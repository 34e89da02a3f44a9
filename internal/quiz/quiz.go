// Package quiz makes convolution exercises whose answers come from the
// engine (package conv), so every answer is right by construction:
//
//   - KindSize: "what is the output size?" (conv.Spec.Resolve gives it);
//   - KindCell: "what number goes in this output cell?" (conv.TraceStep
//     gives the sum and every product for the explanation);
//   - KindPadding: "which padding keeps the size?" (each choice is
//     resolved; the one whose output equals the input is the answer).
//
// A question is a pure function of its kind and seed: the server never
// stores one, it makes it again from (kind, seed) to check an answer.
package quiz

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
)

// Kinds of question.
const (
	KindSize    = "size"
	KindCell    = "cell"
	KindPadding = "padding"
)

// Kinds lists every kind, in the order the quiz page offers them.
var Kinds = []string{KindSize, KindCell, KindPadding}

// Question is one exercise. Everything a page needs to draw it is here;
// the answer is too (Answer, Explain), so a handler must not send those
// before the student answers.
type Question struct {
	Kind string `json:"kind"`
	Seed uint64 `json:"seed"`

	// The convolution (square input and kernel, one channel, one filter,
	// zero padding, no bias).
	Input    int `json:"input"`    // input height = width
	Kernel   int `json:"kernel"`   // kernel height = width
	Stride   int `json:"stride"`   // stride
	Padding  int `json:"padding"`  // padding per side; KindPadding: -1 (the question)
	Dilation int `json:"dilation"` // dilation

	// KindCell: the values and the cell asked for (0-based).
	X    [][]float32 `json:"x,omitempty"` // Input × Input
	W    [][]float32 `json:"w,omitempty"` // Kernel × Kernel
	OutY int         `json:"out_y"`
	OutX int         `json:"out_x"`
	Out  int         `json:"out"` // output height = width (KindCell: to draw the output grid)

	// KindPadding: the paddings to choose from.
	Choices []int `json:"choices,omitempty"`

	// The right answer, as a number, and the step that explains it.
	Answer float32        `json:"-"`
	Step   *conv.Step     `json:"-"` // KindCell: the engine's trace of the cell
	Geom   *conv.Geometry `json:"-"`
}

// ErrKind is returned for an unknown kind.
var ErrKind = errors.New(`quiz: kind must be "size", "cell" or "padding"`)

// MaxSeed is the largest seed: 2^53 − 1, the largest whole number a
// JavaScript number holds exactly (the page hands the seed to quiz.js as
// a JSON number, and quiz.js sends it back to be checked).
const MaxSeed = 1<<53 - 1

// ErrSeed is returned for a seed over MaxSeed.
var ErrSeed = errors.New("quiz: the seed is too large")

// Next is the seed of the question after seed: seed + 1, and false after
// MaxSeed (there is no next seed; never a wrap to 0).
func Next(seed uint64) (uint64, bool) {
	if seed >= MaxSeed {
		return 0, false
	}
	return seed + 1, true
}

// New makes the question of kind for seed (0 to MaxSeed).
func New(kind string, seed uint64) (*Question, error) {
	if seed > MaxSeed {
		return nil, ErrSeed
	}
	r := rand.New(rand.NewPCG(seed, kindSalt(kind)))
	q := &Question{Kind: kind, Seed: seed}
	switch kind {
	case KindSize:
		return q, q.makeSize(r)
	case KindCell:
		return q, q.makeCell(r)
	case KindPadding:
		return q, q.makePadding(r)
	}
	return nil, ErrKind
}

func kindSalt(kind string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint64(kind[i])) * 1099511628211
	}
	return h
}

func spec(k, s, p, d int) conv.Spec {
	return conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{k, k}, Stride: [2]int{s, s},
		Padding: [2]int{p, p}, Dilation: [2]int{d, d}, Groups: 1}
}

// makeSize: a random convolution PyTorch accepts, with an output of at
// least 1×1 (the engine refuses the others; we draw again).
func (q *Question) makeSize(r *rand.Rand) error {
	for {
		q.Input = 4 + r.IntN(12)   // 4..15
		q.Kernel = 1 + 2*r.IntN(3) // 1, 3, 5
		if r.IntN(4) == 0 {
			q.Kernel = 2 + 2*r.IntN(2) // sometimes 2 or 4
		}
		q.Stride = 1 + r.IntN(3) // 1..3
		q.Padding = r.IntN(3)    // 0..2
		q.Dilation = 1
		if r.IntN(4) == 0 {
			q.Dilation = 2
		}
		g, err := spec(q.Kernel, q.Stride, q.Padding, q.Dilation).Resolve(q.Input, q.Input)
		if err != nil || g.OutH < 2 { // a 1×1 output teaches little: draw again
			continue
		}
		q.Geom = g
		q.Out = g.OutH
		q.Answer = float32(g.OutH)
		return nil
	}
}

// makeCell: a small input and kernel of whole numbers, one output cell.
func (q *Question) makeCell(r *rand.Rand) error {
	q.Input = 4 + r.IntN(3) // 4..6
	q.Kernel = 3
	if r.IntN(3) == 0 {
		q.Kernel = 2
	}
	q.Stride = 1 + r.IntN(2)
	q.Padding = r.IntN(2)
	q.Dilation = 1
	g, err := spec(q.Kernel, q.Stride, q.Padding, q.Dilation).Resolve(q.Input, q.Input)
	if err != nil {
		return fmt.Errorf("quiz: cell question: %w", err) // cannot happen with these sizes
	}
	x := make([]float32, q.Input*q.Input)
	for i := range x {
		x[i] = float32(r.IntN(6)) // 0..5
	}
	w := make([]float32, q.Kernel*q.Kernel)
	for i := range w {
		w[i] = float32(r.IntN(4) - 1) // -1..2
	}
	q.X = rows(x, q.Input)
	q.W = rows(w, q.Kernel)
	q.OutY, q.OutX = r.IntN(g.OutH), r.IntN(g.OutW)
	st := conv.TraceStep(g, x, w, nil, 0, q.OutY, q.OutX)
	q.Geom, q.Step, q.Out = g, &st, g.OutH
	q.Answer = st.Sum
	return nil
}

// makePadding: an odd kernel, stride 1; which padding keeps the size?
// Every choice is resolved by the engine; exactly one keeps it.
func (q *Question) makePadding(r *rand.Rand) error {
	q.Input = 5 + r.IntN(10)
	q.Kernel = 3 + 2*r.IntN(3) // 3, 5, 7
	q.Stride = 1
	q.Dilation = 1 + r.IntN(2)
	q.Padding = -1
	q.Choices = []int{0, 1, 2, 3, 4, 5, 6}
	found := -1
	for _, p := range q.Choices {
		g, err := spec(q.Kernel, 1, p, q.Dilation).Resolve(q.Input, q.Input)
		if err == nil && g.OutH == q.Input && g.OutW == q.Input {
			if found >= 0 {
				return fmt.Errorf("quiz: two paddings keep the size (%d and %d)", found, p)
			}
			found = p
			q.Geom = g
		}
	}
	if found < 0 {
		return fmt.Errorf("quiz: no padding in %v keeps a %d×%d input with a %d×%d kernel, dilation %d", q.Choices, q.Input, q.Input, q.Kernel, q.Kernel, q.Dilation)
	}
	q.Out = q.Input
	q.Answer = float32(found)
	return nil
}

func rows(v []float32, n int) [][]float32 {
	out := make([][]float32, 0, n)
	for i := 0; i < len(v); i += n {
		out = append(out, v[i:i+n])
	}
	return out
}

// ErrAnswer is an answer that is not a number.
var ErrAnswer = errors.New("quiz: the answer must be a number")

// Check compares a typed answer with the right one. The answer is a
// number ("8", "-3", "2.0"; for KindSize also "4x4" or "4×4", whose two
// sides must agree).
func (q *Question) Check(answer string) (bool, error) {
	a := strings.TrimSpace(answer)
	a = strings.ReplaceAll(a, "−", "-")
	if q.Kind == KindSize {
		for _, sep := range []string{"×", "x", "X", "*"} {
			if h, w, ok := strings.Cut(a, sep); ok {
				hv, err1 := parseNumber(strings.TrimSpace(h))
				wv, err2 := parseNumber(strings.TrimSpace(w))
				if err1 != nil || err2 != nil {
					return false, ErrAnswer
				}
				return hv == float64(q.Answer) && wv == float64(q.Answer), nil
			}
		}
	}
	v, err := parseNumber(a)
	if err != nil {
		return false, ErrAnswer
	}
	return float32(v) == q.Answer, nil
}

// parseNumber reads a decimal number as a student types it ("8", "-3",
// "2.0", ".5", "1e2"). strconv.ParseFloat alone would also take "NaN",
// "Inf", "infinity", hexadecimal ("0x1p3") and digit separators ("1_0"),
// none of which is an answer.
func parseNumber(s string) (float64, error) {
	if len(s) == 0 || len(s) > 32 {
		return 0, ErrAnswer
	}
	i := 0
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, ErrAnswer
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return 0, ErrAnswer
		}
	}
	if i != len(s) {
		return 0, ErrAnswer
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, ErrAnswer
	}
	return v, nil
}

// FormatNum writes a value as the visualizer does: whole numbers without
// a decimal point.
func FormatNum(v float32) string { return strconv.FormatFloat(float64(v), 'f', -1, 32) }

// Products is the explanation of a KindCell answer: "1×1 + 2×0 + … = 8",
// the engine's own products in window order (negative weights in
// parentheses).
func (q *Question) Products() string {
	if q.Step == nil {
		return ""
	}
	var b strings.Builder
	for i, t := range q.Step.Taps {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(FormatNum(t.Input))
		b.WriteString("×")
		w := FormatNum(t.Weight)
		if t.Weight < 0 {
			w = "(" + w + ")"
		}
		b.WriteString(w)
	}
	b.WriteString(" = ")
	b.WriteString(FormatNum(q.Step.Sum))
	return b.String()
}

// SizeFormula is the output-size formula with the question's numbers:
// "⌊(7 + 2×1 − 1×(3−1) − 1) / 2⌋ + 1 = 4".
func (q *Question) SizeFormula() string {
	p := q.Padding
	if q.Kind == KindPadding {
		p = int(q.Answer)
	}
	return fmt.Sprintf("⌊(%d + 2×%d − %d×(%d−1) − 1) / %d⌋ + 1 = %d",
		q.Input, p, q.Dilation, q.Kernel, q.Stride, q.Out)
}

// ConvURL is the visualizer's URL (written by convstate, the only
// writer of /conv URLs) that opens this question's convolution; for
// KindCell with its values, at the asked cell's step.
func (q *Question) ConvURL() string {
	p := q.Padding
	if q.Kind == KindPadding {
		p = int(q.Answer)
	}
	s := convstate.Configure([2]int{q.Input, q.Input}, [2]int{q.Kernel, q.Kernel}, [2]int{q.Stride, q.Stride},
		[2]int{p, p}, [2]int{q.Dilation, q.Dilation})
	if q.Kind == KindCell {
		s.X, s.W = flatten(q.X), flatten(q.W)
		s.XSet, s.WSet = true, true
		s.Step = q.OutY*q.Out + q.OutX + 1
	}
	return s.URL()
}

func flatten(m [][]float32) []float32 {
	var out []float32
	for _, row := range m {
		out = append(out, row...)
	}
	return out
}
