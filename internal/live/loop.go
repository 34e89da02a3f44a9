package live

import (
	"context"
	"math"
	"time"
)

// Diverged is the run's error when the loss stops being a number.
const Diverged = "the training diverged (the loss is no longer a number): press reset and choose a smaller learning rate"

// MaxEvalEvery bounds the training time between two evaluations.
const MaxEvalEvery = 10 * time.Second

// smoothing is the weight of a new batch in the running loss, accuracy
// and speed shown to viewers (one batch alone is noisy).
const smoothing = 0.1

// loop is the training goroutine of one run. It alone touches eng.
func (m *Manager) loop(ctx context.Context, eng Engine, run int, done chan struct{}) {
	defer close(done)
	now := m.opt.Now
	var (
		trained   time.Duration // training time, pauses excluded
		lastEval  time.Duration
		lastProg  time.Time
		lastMaps  = now()
		lastFilt  time.Time
		single    chan int      // a Step request being served while paused
		lastCkpt  time.Duration // training time at the last checkpoint
		dirty     bool          // trained since the last checkpoint
		loss, acc float64
		ips       float64
		steps     int
		evalEvery = m.opt.EvalEvery
	)
	m.mu.Lock()
	completed := m.completed // epochs done (not 0 for a restored run)
	m.mu.Unlock()
	m.publishMaps(eng, run)
	for {
		m.mu.Lock()
		paused, wake := m.state == StatePaused, m.wake
		m.mu.Unlock()
		if paused {
			if dirty && m.checkpointing() {
				m.writeCheckpoint(eng, "pause")
			}
			dirty = false
			m.publishFilter(eng, run) // the last step's, which the throttle may have held back
			m.publishMaps(eng, run)
			for waiting := true; waiting; {
				select {
				case <-ctx.Done():
					return
				case <-wake:
					waiting = false
				case r := <-m.saveReq:
					step, err := m.writeCheckpoint(eng, "request")
					r <- saveResult{step, err}
				case r := <-m.stepReq:
					single, waiting = r, false
				}
			}
			lastProg = time.Time{}
			if single == nil {
				continue
			}
		}
		if ctx.Err() != nil { // a Step waiting in single sees the loop end
			return
		}

		t0 := now()
		info := eng.Step()
		t1 := now()
		trained += t1.Sub(t0)
		steps++
		dirty = true
		if steps == 1 {
			loss, acc, ips = info.Loss, info.TrainAccuracy, info.ImagesPerSecond
		} else {
			loss += smoothing * (info.Loss - loss)
			acc += smoothing * (info.TrainAccuracy - acc)
			ips += smoothing * (info.ImagesPerSecond - ips)
		}

		if math.IsNaN(info.Loss) || math.IsInf(info.Loss, 0) {
			// The weights are lost: stop burning the processor on them.
			m.publishProgress(run, info, loss, acc, ips, eng.TrainSize())
			m.publishFilter(eng, run)
			if single != nil {
				single <- info.Step
				single = nil
			}
			m.mu.Lock()
			if run == m.run {
				m.lastErr = Diverged
				m.pauseLocked(false)
			}
			m.mu.Unlock()
			m.publishState()
			continue
		}

		done := info.Epoch - 1 // epochs finished
		if info.EpochProgress >= 1 {
			done++
		}
		epochEnd := done > completed
		if epochEnd || t1.Sub(lastProg) >= m.opt.ProgressEvery {
			lastProg = t1
			m.publishProgress(run, info, loss, acc, ips, eng.TrainSize())
		}
		switch {
		case epochEnd:
			completed = done
			lastEval = trained
			m.publishEval(eng, run, 0)
			m.mu.Lock()
			m.completed = completed
			if run == m.run && completed >= m.budget {
				m.pauseLocked(true)
			}
			m.mu.Unlock()
			if m.checkpointing() {
				m.writeCheckpoint(eng, "epoch end")
				dirty, lastCkpt = false, trained
			}
			m.publishState()
		case trained-lastEval >= evalEvery:
			lastEval = trained
			e0 := now()
			m.publishEval(eng, run, m.opt.EvalSample)
			// A slow network (the reference one) evaluates less often, so
			// that evaluating costs at most ~20% of the time, but still at
			// least every MaxEvalEvery of training.
			evalEvery = min(MaxEvalEvery, max(m.opt.EvalEvery, 4*now().Sub(e0)))
		}
		if dirty && trained-lastCkpt >= m.opt.CheckpointEvery && m.checkpointing() {
			m.writeCheckpoint(eng, "periodic")
			dirty, lastCkpt = false, trained
		}
		if m.serveSave(eng) {
			dirty = false
		}
		if single != nil || now().Sub(lastFilt) >= m.opt.FilterEvery {
			lastFilt = now()
			m.publishFilter(eng, run)
		}
		if single != nil {
			// The paused branch publishes the maps (and checkpoints)
			// when the loop comes round again.
			single <- info.Step
			single = nil
			continue
		}
		if now().Sub(lastMaps) >= m.opt.MapsEvery {
			lastMaps = now()
			m.publishMaps(eng, run)
		}
		m.opt.Yield()
		m.gate.wait(MaxYield)
	}
}

func (m *Manager) publishProgress(run int, info StepInfo, loss, acc, ips float64, trainSize int) {
	eta := 0.0
	if ips > 0 {
		rest := 1 - info.EpochProgress
		if rest < 0 {
			rest = 0
		}
		eta = rest * float64(trainSize) / ips
	}
	m.mu.Lock()
	if run != m.run {
		m.mu.Unlock()
		return
	}
	diverged := math.IsNaN(loss) || math.IsInf(loss, 0)
	p := Progress{Run: run, Step: info.Step, Epoch: info.Epoch, EpochProgress: finite(info.EpochProgress),
		Loss: finite(loss), TrainAccuracy: finite(acc), ImagesPerSecond: finite(ips), ETASeconds: finite(eta),
		State: m.state, Diverged: diverged}
	latest := p // its own copy: publishState updates it under m.mu while p is published below
	m.latestProgress = &latest
	if !diverged {
		m.hist.Loss = addPoint(m.hist.Loss, Point{Step: p.Step, Y: p.Loss})
		m.hist.TrainAccuracy = addPoint(m.hist.TrainAccuracy, Point{Step: p.Step, Y: p.TrainAccuracy})
	}
	m.mu.Unlock()
	m.publish(KindProgress, run, p)
}

func (m *Manager) publishEval(eng Engine, run int, limit int) {
	ev := eng.Evaluate(limit)
	ev.Run = run
	ev.TestAccuracy = finite(ev.TestAccuracy)
	m.mu.Lock()
	if run == m.run {
		m.hist.TestAccuracy = addPoint(m.hist.TestAccuracy, Point{Step: ev.Step, Y: ev.TestAccuracy})
	}
	m.mu.Unlock()
	m.publish(KindEval, run, ev)
}

// publishFilter sends the first conv layer's last update, if the engine
// records it.
func (m *Manager) publishFilter(eng Engine, run int) {
	fw, ok := eng.(FilterWatcher)
	if !ok {
		return
	}
	if f, ok := fw.FilterUpdate(); ok {
		f.Run = run
		m.publish(KindFilter, run, f)
	}
}

func (m *Manager) publishMaps(eng Engine, run int) {
	mp := eng.Maps()
	mp.Run = run
	model := eng.Model()
	m.mu.Lock()
	if run == m.run {
		m.model, m.modelStep = model, mp.Step
	}
	m.mu.Unlock()
	m.publish(KindMaps, run, mp)
}
