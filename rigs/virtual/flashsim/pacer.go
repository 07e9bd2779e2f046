package flashsim

import (
	"context"
	"fmt"
	"time"
)

// minWait is the shortest timer the pacer arms: shorter steps are added up
// and slept in one go, so per-page timings of microseconds cost no more
// than they should overall, and timer overhead does not stretch them.
const minWait = time.Millisecond

// pacer makes a sequence of steps take their modelled time, and reports an
// interruption (context ended, chip closed) before each step.
type pacer struct {
	ctx    context.Context
	closed <-chan struct{}
	start  time.Time
	model  time.Duration // modelled time of the steps taken so far
}

func newPacer(ctx context.Context, closed <-chan struct{}) *pacer {
	return &pacer{ctx: ctx, closed: closed, start: time.Now()}
}

// step accounts for one step of duration d, waiting if the model is ahead
// of real time by at least minWait. It fails if the operation was cut.
func (p *pacer) step(d time.Duration) error {
	if err := p.interrupted(); err != nil {
		return err
	}
	p.model += d
	ahead := p.model - time.Since(p.start)
	if ahead < minWait {
		return nil
	}
	t := time.NewTimer(ahead)
	defer t.Stop()
	select {
	case <-t.C:
		return p.interrupted()
	case <-p.ctx.Done():
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(p.ctx))
	case <-p.closed:
		return fmt.Errorf("%w: %w", ErrInterrupted, ErrClosed)
	}
}

func (p *pacer) interrupted() error {
	select {
	case <-p.ctx.Done():
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(p.ctx))
	case <-p.closed:
		return fmt.Errorf("%w: %w", ErrInterrupted, ErrClosed)
	default:
		return nil
	}
}
