package mnist

// Conv1Update is one training step seen at the first conv layer (issue 14,
// "watch one filter learn"): for each weight and bias, the optimizer's
// arithmetic that moved it, with its value before, its gradient and its
// value after. The details come from the optimizer's Preview, the same
// arithmetic its Step then runs, so they are the numbers the training loop
// used (TestWatchConv1IsTheStep).
type Conv1Update struct {
	Step      int    // the step recorded (1 for the first)
	Optimizer string // "adam" or "sgd"
	Filters   int    // the first layer's weight is Filters × 1 × KH × KW
	KH, KW    int
	// Adam (optimizer "adam") or SGD ("sgd"): Filters·KH·KW weights in
	// PyTorch's order, then the Filters biases.
	Adam []AdamDetail
	SGD  []SGDDetail
}

// WatchConv1 makes every following Step record its first conv layer's
// update into u (nil stops). Step reuses u's slices, so it still allocates
// nothing once they have grown; u belongs to the goroutine that calls
// Step: read it there, between Steps.
func (t *Trainer) WatchConv1(u *Conv1Update) { t.watch = u }

// recordConv1 fills t.watch between the backward pass and the update.
func (t *Trainer) recordConv1() {
	u := t.watch
	w, b := t.net.ps[0], t.net.ps[1]
	u.Step, u.Optimizer = t.step+1, t.opt.Name()
	u.Filters, u.KH, u.KW = w.Shape[0], w.Shape[2], w.Shape[3]
	n := len(w.Data) + len(b.Data)
	switch o := t.opt.(type) {
	case *Adam:
		if cap(u.Adam) < n {
			u.Adam = make([]AdamDetail, n)
		}
		u.Adam, u.SGD = u.Adam[:n], u.SGD[:0]
		s := o.scalars(o.t + 1) // Preview's, once for all
		for j := range w.Data {
			u.Adam[j] = o.preview(&s, 0, j, w.Grad[j], w.Data[j])
		}
		for j := range b.Data {
			u.Adam[len(w.Data)+j] = o.preview(&s, 1, j, b.Grad[j], b.Data[j])
		}
	case *SGD:
		if cap(u.SGD) < n {
			u.SGD = make([]SGDDetail, n)
		}
		u.SGD, u.Adam = u.SGD[:n], u.Adam[:0]
		for j := range w.Data {
			u.SGD[j] = o.Preview(0, j, w.Grad[j], w.Data[j])
		}
		for j := range b.Data {
			u.SGD[len(w.Data)+j] = o.Preview(1, j, b.Grad[j], b.Data[j])
		}
	}
}
