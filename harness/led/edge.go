package led

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// edgeWait bounds each periph WaitForEdge call so the watcher notices Close
// (periph's wait takes only a timeout; gpioioctl pins also end it on Halt,
// fakes do not). Edges are still delivered the moment they happen.
const edgeWait = 50 * time.Millisecond

type sample struct {
	at  time.Time
	lit bool
}

// NewEdge watches pin with both-edge detection. Each edge is timestamped on
// opts.Clock as it arrives and the level read right after it.
func NewEdge(pin gpio.PinIn, opts Options) (*Sensor, error) {
	opts.defaults(pin.String())
	if err := pin.In(gpio.PullNoChange, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("led %s: enable edge detection: %w", opts.Name, err)
	}
	s := newSensor(opts)
	samples := make(chan sample, 64)
	go s.waitEdges(pin, samples)
	go s.watchEdges(pin, samples)
	return s, nil
}

// waitEdges turns periph's blocking edge wait into samples.
func (s *Sensor) waitEdges(pin gpio.PinIn, out chan<- sample) {
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		if !pin.WaitForEdge(edgeWait) {
			continue
		}
		smp := sample{at: s.opts.Clock.Now(), lit: bool(pin.Read()) != s.opts.ActiveLow}
		select {
		case out <- smp:
		case <-s.stop:
			return
		}
	}
}

// watchEdges feeds samples to the classifier and wakes it when a level has
// held a whole window (the moment "steady" can be decided without an edge).
func (s *Sensor) watchEdges(pin gpio.PinIn, samples <-chan sample) {
	defer close(s.done)
	clk := s.opts.Clock
	s.observe(clk.Now(), bool(pin.Read()) != s.opts.ActiveLow)
	timer := clk.NewTimer(s.untilDecision(clk.Now()))
	defer timer.Stop()
	for {
		select {
		case smp := <-samples:
			s.observe(smp.at, smp.lit)
			timer.Reset(s.untilDecision(clk.Now()))
		case <-timer.C():
			s.evaluate(clk.Now())
		case <-s.stop:
			return
		}
	}
}

func (s *Sensor) untilDecision(now time.Time) time.Duration {
	s.mu.Lock()
	at, ok := s.cls.nextDecision()
	s.mu.Unlock()
	if !ok {
		return s.opts.Window
	}
	return max(at.Sub(now), 0)
}
