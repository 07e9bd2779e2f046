// Package ymodemtest puts a noisy line between a YMODEM sender and its
// receiver, for tests against real receivers (lrzsz rb, the virtual
// unit's loady): one fault on one data block, or random bit flips.
package ymodemtest

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/ymodem"
)

// Fault is one thing a noisy line does to one data block.
type Fault string

// The single faults.
const (
	GarbledHeader   Fault = "garbled header"       // the packet's first byte is hit
	GarbledBlockNum Fault = "garbled block number" // blk no longer matches ~blk
	DroppedByte     Fault = "dropped byte"         // one payload byte never arrives
	Stall           Fault = "stall"                // the line stops mid-packet
	AckToNak        Fault = "ACK->NAK"             // the receiver's ACK arrives as NAK
	NakToAck        Fault = "NAK->ACK"             // a NAK (after a garbled block) arrives as ACK
)

// SingleFaults is the set each transfer must survive with at most two
// retransmissions.
var SingleFaults = []Fault{GarbledHeader, GarbledBlockNum, DroppedByte, Stall, AckToNak}

const (
	soh, stx = 0x01, 0x02
	ack, nak = 0x06, 0x15
)

// FaultLine plays Fault once, on the first copy of data block Block.
type FaultLine struct {
	ymodem.Port
	Fault Fault
	Block byte
	// StallFor is how long Stall holds the line (longer than the
	// receiver's character timeout).
	StallFor time.Duration
	Clock    clock.Clock

	mu     sync.Mutex
	played bool
	armed  bool // the hit block was just sent: its answer is swapped
}

// Played reports whether the fault happened.
func (f *FaultLine) Played() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.played
}

func (f *FaultLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	hit := !f.played && len(p) > 128 && (p[0] == soh || p[0] == stx) && p[1] == f.Block
	if hit {
		f.played = true
	}
	f.armed = hit && (f.Fault == AckToNak || f.Fault == NakToAck)
	f.mu.Unlock()
	if !hit {
		return f.Port.Write(p)
	}
	q := append([]byte(nil), p...)
	switch f.Fault {
	case GarbledHeader:
		q[0] ^= 0x40
	case GarbledBlockNum, NakToAck:
		q[1] ^= 0x01
	case DroppedByte:
		q = append(q[:len(q)/2], q[len(q)/2+1:]...)
	case Stall:
		if _, err := f.Port.Write(q[:len(q)/2]); err != nil {
			return 0, err
		}
		if err := clock.Wait(context.Background(), clock.OrReal(f.Clock), f.StallFor); err != nil {
			return 0, err
		}
		q = q[len(q)/2:]
	}
	if _, err := f.Port.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *FaultLine) ReadContext(ctx context.Context, b []byte) (int, error) {
	n, err := f.Port.ReadContext(ctx, b[:1])
	f.mu.Lock()
	defer f.mu.Unlock()
	if n == 1 && f.armed {
		switch {
		case f.Fault == AckToNak && b[0] == ack:
			f.armed, b[0] = false, nak
		case f.Fault == NakToAck && (b[0] == nak || b[0] == 'C'):
			f.armed, b[0] = false, ack
		}
	}
	return n, err
}

// NoisyLine flips a random bit in about one of every Every bytes the
// sender writes; seeded, so a failure is reproducible.
type NoisyLine struct {
	ymodem.Port
	Rand  *rand.Rand
	Every int
	Hits  int
}

func (n *NoisyLine) Write(p []byte) (int, error) {
	q := append([]byte(nil), p...)
	for i := range q {
		if n.Rand.IntN(n.Every) == 0 {
			q[i] ^= 1 << n.Rand.IntN(8)
			n.Hits++
		}
	}
	if _, err := n.Port.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}
