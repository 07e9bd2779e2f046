package ledtest

import (
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// Wire is a GPIO output wired to a GPIO input: driving Out changes In's
// level at once and queues an edge on In, as a relay output wired to an LED
// input does on a bench. Both are periph pins; register them in gpioreg to
// reach them by name (power's gpio driver, led.Open).
type Wire struct {
	Out *OutPin
	In  *gpiotest.Pin
}

// NewWire makes a wire whose pins are named out and in.
func NewWire(out, in string) *Wire {
	inPin := &gpiotest.Pin{N: in, Num: -1, EdgesChan: make(chan gpio.Level, 256)}
	return &Wire{Out: &OutPin{Pin: gpiotest.Pin{N: out, Num: -1}, peer: inPin}, In: inPin}
}

// OutPin is the driven end of a Wire.
type OutPin struct {
	gpiotest.Pin
	peer *gpiotest.Pin
}

// Out drives the wire: the input follows, and sees an edge if the level
// changed.
func (o *OutPin) Out(l gpio.Level) error {
	o.Pin.Lock()
	changed := o.Pin.L != l
	o.Pin.L = l
	o.Pin.Unlock()
	o.peer.Lock()
	o.peer.L = l
	o.peer.Unlock()
	if changed {
		o.peer.EdgesChan <- l
	}
	return nil
}

var _ gpio.PinIO = (*OutPin)(nil)
