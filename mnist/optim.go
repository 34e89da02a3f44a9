package mnist

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients (Param.Grad).
type Optimizer interface {
	// Step applies one update to ps, which must be the same list (same
	// order and sizes) on every call.
	Step(ps []*Param)
	// Name is "adam" or "sgd".
	Name() string
}

// NewOptimizer returns torch.optim.Adam(lr=lr) for "adam" and
// torch.optim.SGD(lr=lr, momentum=0.9) for "sgd".
func NewOptimizer(name string, lr float64) (Optimizer, error) {
	switch name {
	case "adam":
		return NewAdam(lr), nil
	case "sgd":
		return &SGD{LR: lr, Momentum: 0.9}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q: choose adam or sgd", name)
}

// Adam is torch.optim.Adam without weight decay or amsgrad:
//
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²
//	p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	t                     int
	m, v                  [][]float32
}

// NewAdam returns Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8).
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Name implements Optimizer.
func (*Adam) Name() string { return "adam" }

// Steps is how many updates Adam has made.
func (a *Adam) Steps() int { return a.t }

// adamStep holds the scalars of Adam's step t, rounded to float32 as
// PyTorch does when it applies them to a float32 tensor.
type adamStep struct {
	t                                  int
	bc1, bc2                           float64 // 1-β1^t, 1-β2^t
	stepSize, bc2Sqrt, w1, b2, w2, eps float32
}

func (a *Adam) scalars(t int) adamStep {
	bc1 := 1 - math.Pow(a.Beta1, float64(t))
	bc2 := 1 - math.Pow(a.Beta2, float64(t))
	return adamStep{t: t, bc1: bc1, bc2: bc2, stepSize: float32(a.LR / bc1), bc2Sqrt: float32(math.Sqrt(bc2)),
		w1: float32(1 - a.Beta1), b2: float32(a.Beta2), w2: float32(1 - a.Beta2), eps: float32(a.Eps)}
}

// elem is Adam's arithmetic for one number: the new moments m and v, the
// denominator, the update subtracted and the new value of p.
func (s *adamStep) elem(m, v, g, p float32) (m2, v2, denom, upd, p2 float32) {
	// torch: exp_avg.lerp_(grad, 1-β1), exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1-β2)
	m2 = m + s.w1*(g-m)
	v2 = v*s.b2 + s.w2*(g*g)
	denom = float32(math.Sqrt(float64(v2)))/s.bc2Sqrt + s.eps
	upd = s.stepSize * (m2 / denom)
	return m2, v2, denom, upd, p - upd
}

// Step implements Optimizer.
func (a *Adam) Step(ps []*Param) {
	if a.m == nil {
		for _, p := range ps {
			a.m = append(a.m, make([]float32, len(p.Data)))
			a.v = append(a.v, make([]float32, len(p.Data)))
		}
	}
	if len(a.m) != len(ps) {
		panic("mnist: Adam.Step with a different parameter list")
	}
	a.t++
	s := a.scalars(a.t)
	for i, p := range ps {
		m, v, g, d := a.m[i], a.v[i], p.Grad, p.Data
		if len(g) != len(d) || len(m) != len(d) {
			panic("mnist: Adam.Step: parameter without a gradient or of a new size")
		}
		for j, gj := range g {
			m[j], v[j], _, _, d[j] = s.elem(m[j], v[j], gj, d[j])
		}
	}
}

// AdamDetail is Adam's arithmetic for one number in one step, every
// intermediate value as Step computes it (see Adam):
//
//	M = β1·MPrev + (1-β1)·Grad            (PyTorch: MPrev + (1-β1)·(Grad-MPrev))
//	V = β2·VPrev + (1-β2)·Grad²
//	StepSize = LR / BC1,  BC1 = 1-β1^T,  BC2 = 1-β2^T
//	Denom = √V / √BC2 + ε
//	Update = StepSize · M / Denom,  After = Before - Update
type AdamDetail struct {
	T        int     `json:"t"`
	LR       float64 `json:"lr"`
	Beta1    float64 `json:"beta1"`
	Beta2    float64 `json:"beta2"`
	Eps      float64 `json:"eps"`
	BC1      float64 `json:"bc1"`
	BC2      float64 `json:"bc2"`
	StepSize float32 `json:"step_size"`
	Grad     float32 `json:"grad"`
	MPrev    float32 `json:"m_prev"`
	M        float32 `json:"m"`
	VPrev    float32 `json:"v_prev"`
	V        float32 `json:"v"`
	Denom    float32 `json:"denom"`
	Update   float32 `json:"update"`
	Before   float32 `json:"before"`
	After    float32 `json:"after"`
}

// Preview says what the next Step will do to element j of parameter i
// (of the list Step is given) with gradient g, when its value is p: the
// same arithmetic, so the numbers are those Step then writes. Before the
// first Step the moments are zero.
func (a *Adam) Preview(i, j int, g, p float32) AdamDetail {
	s := a.scalars(a.t + 1)
	return a.preview(&s, i, j, g, p)
}

// preview is Preview with the next step's scalars computed once.
func (a *Adam) preview(s *adamStep, i, j int, g, p float32) AdamDetail {
	var m, v float32
	if a.m != nil {
		m, v = a.m[i][j], a.v[i][j]
	}
	d := AdamDetail{T: s.t, LR: a.LR, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, BC1: s.bc1, BC2: s.bc2,
		StepSize: s.stepSize, Grad: g, MPrev: m, VPrev: v, Before: p}
	d.M, d.V, d.Denom, d.Update, d.After = s.elem(m, v, g, p)
	return d
}

// SGD is torch.optim.SGD with momentum (dampening 0, no Nesterov, no
// weight decay): buf = momentum·buf + g (buf = g on the first step);
// p -= lr·buf.
type SGD struct {
	LR, Momentum float64
	buf          [][]float32
}

// Name implements Optimizer.
func (*SGD) Name() string { return "sgd" }

// Step implements Optimizer.
func (s *SGD) Step(ps []*Param) {
	first := s.buf == nil
	if first {
		for _, p := range ps {
			s.buf = append(s.buf, make([]float32, len(p.Data)))
		}
	}
	if len(s.buf) != len(ps) {
		panic("mnist: SGD.Step with a different parameter list")
	}
	lr, mom := float32(s.LR), float32(s.Momentum)
	for i, p := range ps {
		b, g, d := s.buf[i], p.Grad, p.Data
		if len(g) != len(d) || len(b) != len(d) {
			panic("mnist: SGD.Step: parameter without a gradient or of a new size")
		}
		for j, gj := range g {
			b[j], _, d[j] = sgdElem(first, lr, mom, b[j], gj, d[j])
		}
	}
}

// sgdElem is SGD's arithmetic for one number: the new momentum buffer,
// the update subtracted and the new value of p.
func sgdElem(first bool, lr, mom, buf, g, p float32) (buf2, upd, p2 float32) {
	if first {
		buf2 = g
	} else {
		buf2 = mom*buf + g
	}
	upd = lr * buf2
	return buf2, upd, p - upd
}

// SGDDetail is SGD's arithmetic for one number in one step (see SGD):
// Buf = Momentum·BufPrev + Grad (Buf = Grad on the first step, and always
// without momentum), Update = LR·Buf, After = Before - Update.
type SGDDetail struct {
	LR       float64 `json:"lr"`
	Momentum float64 `json:"momentum"`
	First    bool    `json:"first"`
	Grad     float32 `json:"grad"`
	BufPrev  float32 `json:"buf_prev"`
	Buf      float32 `json:"buf"`
	Update   float32 `json:"update"`
	Before   float32 `json:"before"`
	After    float32 `json:"after"`
}

// Preview says what the next Step will do to element j of parameter i
// with gradient g, when its value is p (the same arithmetic as Step).
func (s *SGD) Preview(i, j int, g, p float32) SGDDetail {
	first := s.buf == nil
	var b float32
	if !first {
		b = s.buf[i][j]
	}
	d := SGDDetail{LR: s.LR, Momentum: s.Momentum, First: first, Grad: g, BufPrev: b, Before: p}
	d.Buf, d.Update, d.After = sgdElem(first, float32(s.LR), float32(s.Momentum), b, g, p)
	return d
}
