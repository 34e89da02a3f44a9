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
	bc1 := 1 - math.Pow(a.Beta1, float64(a.t))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.t))
	stepSize := float32(a.LR / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	// Scalars rounded to float32 as PyTorch does when it applies them to
	// a float32 tensor.
	w1, b2, w2, eps := float32(1-a.Beta1), float32(a.Beta2), float32(1-a.Beta2), float32(a.Eps)
	for i, p := range ps {
		m, v, g, d := a.m[i], a.v[i], p.Grad, p.Data
		if len(g) != len(d) || len(m) != len(d) {
			panic("mnist: Adam.Step: parameter without a gradient or of a new size")
		}
		for j, gj := range g {
			// torch: exp_avg.lerp_(grad, 1-β1), exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1-β2)
			mj := m[j] + w1*(gj-m[j])
			vj := v[j]*b2 + w2*(gj*gj)
			m[j], v[j] = mj, vj
			denom := float32(math.Sqrt(float64(vj)))/bc2Sqrt + eps
			d[j] -= stepSize * (mj / denom)
		}
	}
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
			if first {
				b[j] = gj
			} else {
				b[j] = mom*b[j] + gj
			}
			d[j] -= lr * b[j]
		}
	}
}
