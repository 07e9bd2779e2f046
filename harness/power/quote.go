package power

import "fmt"

// QuoteBytes renders what a board sent for an error message: Go-quoted and
// cut at 80 bytes so a babbling board cannot flood a log.
func QuoteBytes(b []byte) string {
	const max = 80
	if len(b) <= max {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q...(%d more bytes)", b[:max], len(b)-max)
}

// HexBytes renders binary replies ("ff 01 01"), cut like QuoteBytes.
func HexBytes(b []byte) string {
	const max = 32
	if len(b) == 0 {
		return "nothing"
	}
	s := fmt.Sprintf("% x", b[:min(len(b), max)])
	if len(b) > max {
		s += fmt.Sprintf(" ...(%d more bytes)", len(b)-max)
	}
	return s
}
